//! `user add|passwd|del|list`: straight on the SQLite file (safe while `serve` runs).

use std::error::Error;

use smtpd::relay::relay::DataDir;
use smtpd::relay::users::{AllowedSender, UserStore};

use crate::cli::UserCommand;
use crate::password::read_password;

/// Runs a user command.
pub async fn user(command: UserCommand) -> Result<(), Box<dyn Error>> {
    match command {
        UserCommand::Add { name, senders, data } => {
            let senders = senders
                .iter()
                .map(|sender| sender.parse::<AllowedSender>())
                .collect::<Result<Vec<_>, _>>()?;
            let store = open(&DataDir(data.data_dir)).await?;
            let password = read_password(&format!("Password for {name}: "), true)?;
            store.add_user(&name, password, senders).await?;
            println!("added {name}");
        }
        UserCommand::Passwd { name, data } => {
            let store = open(&DataDir(data.data_dir)).await?;
            let password = read_password(&format!("New password for {name}: "), true)?;
            store.set_password(&name, password).await?;
            println!("changed the password of {name}");
        }
        UserCommand::Del { name, data } => {
            open(&DataDir(data.data_dir)).await?.delete_user(&name).await?;
            println!("deleted {name}");
        }
        UserCommand::List { data } => {
            for user in open(&DataDir(data.data_dir)).await?.list_users().await? {
                let senders: Vec<String> = user.senders.iter().map(ToString::to_string).collect();
                println!("{}\t{}", user.name, senders.join(" "));
            }
        }
    }
    Ok(())
}

/// Opens (creating the directory when needed) the user database.
async fn open(data: &DataDir) -> Result<UserStore, Box<dyn Error>> {
    std::fs::create_dir_all(&data.0)?;
    Ok(UserStore::open(data.users()).await?)
}
