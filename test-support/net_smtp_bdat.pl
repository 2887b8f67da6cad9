#!/usr/bin/perl
# A real BDAT client for the interop tests of smtp-server and smtp-relay: Perl's Net::SMTP.
# perl net_smtp_bdat.pl PORT CERT TLS USER PASSWORD CHUNK-FILE...
# EHLO, then STARTTLS (trusting CERT for `localhost`) when TLS is 1, AUTH when USER is not
# empty, MAIL with BODY=BINARYMIME (Net::SMTP sends BDAT only for such messages, RFC 3030),
# RCPT, `bdat` for every chunk file but the last and `bdatlast` for it, QUIT. `Debug => 1`
# logs the conversation to standard error.
use strict;
use warnings;
use Net::SMTP;

# Net::SMTP only warns when it cannot use BDAT (and then sends nothing): make that fatal.
$SIG{__WARN__} = sub { die @_ };

my ($port, $cert, $tls, $user, $password, @files) = @ARGV;
my $smtp = Net::SMTP->new('127.0.0.1', Port => $port, Hello => 'client.test',
                          Timeout => 30, Debug => 1)
    or die "connect failed: $@\n";
if ($tls) {
    $smtp->starttls(SSL_ca_file => $cert, SSL_verifycn_name => 'localhost')
        or die "STARTTLS failed: ", $smtp->code, "\n";
}
if ($user ne '') {
    $smtp->auth($user, $password) or die "AUTH failed: ", $smtp->code, "\n";
}
# Net::SMTP sends BDAT for BODY=BINARYMIME messages (RFC 3030), which `Bits` asks for.
$smtp->mail('alice@example.com', Bits => 'binary') or die "MAIL failed: ", $smtp->code, "\n";
$smtp->to('bob@example.net') or die "RCPT failed: ", $smtp->code, "\n";
my @chunks = map {
    open my $file, '<:raw', $_ or die "$_: $!\n";
    local $/;
    scalar <$file>
} @files;
my $last = pop @chunks;
for my $chunk (@chunks) {
    $smtp->bdat($chunk) or die "BDAT failed: ", $smtp->code, "\n";
}
$smtp->bdatlast($last) or die "BDAT LAST failed: ", $smtp->code, "\n";
$smtp->quit;
