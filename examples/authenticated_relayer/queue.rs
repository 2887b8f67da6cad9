//! `queue list|flush|delete`: through the running relay's control socket, or directly on the
//! queue when no relay runs.

use std::error::Error;

use smtpd::relay::relay::{DataDir, QueueAdmin};

use crate::cli::QueueCommand;

/// Runs a queue command.
pub async fn queue(command: QueueCommand) -> Result<(), Box<dyn Error>> {
    match command {
        QueueCommand::List { data } => {
            let mut admin = QueueAdmin::connect(&DataDir(data.data_dir)).await?;
            let entries = admin.list().await?;
            if entries.is_empty() {
                println!("the queue is empty");
            }
            for entry in entries {
                println!(
                    "{}\t{} octets\tfrom <{}>\t{} pending, {} delivered, {} failed\tattempts {}\t{}",
                    entry.id,
                    entry.size,
                    entry.mail_from,
                    entry.pending,
                    entry.delivered,
                    entry.failed,
                    entry.attempts,
                    entry.last_error.unwrap_or_default(),
                );
            }
        }
        QueueCommand::Flush { data } => {
            let mut admin = QueueAdmin::connect(&DataDir(data.data_dir)).await?;
            admin.flush().await?;
            if admin.is_live() {
                println!("the running relay retries every message now");
            } else {
                println!("every message is due now; `serve` delivers them when it starts");
            }
        }
        QueueCommand::Delete { id, data } => {
            QueueAdmin::connect(&DataDir(data.data_dir)).await?.delete(&id).await?;
            println!("deleted {id}");
        }
    }
    Ok(())
}
