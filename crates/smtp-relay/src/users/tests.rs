//! Tests of the user store and its authenticator against real SQLite files.

use std::path::PathBuf;

use smtp_auth::{AuthData, AuthRequest, AuthResult, Authenticator, LoginPassword, ServerInfo};
use smtp_server::{Envelope, PeerAddr, Session};

use super::*;

/// Cheap argon2id parameters so the tests run quickly in debug builds.
const FAST: HashParams = HashParams { memory_kib: 64, iterations: 1, parallelism: 1 };

/// A database path in a fresh directory, removed afterwards.
struct TempDb(PathBuf);

impl TempDb {
    fn new() -> Self {
        let mut random = [0u8; 8];
        getrandom::fill(&mut random).unwrap();
        let name =
            format!("rroute-users-{}-{:016x}", std::process::id(), u64::from_le_bytes(random));
        let dir = std::env::temp_dir().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn path(&self) -> PathBuf {
        self.0.join("users.sqlite")
    }

    async fn open(&self) -> UserStore {
        UserStore::open_with(self.path(), FAST).await.unwrap()
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn address(text: &str) -> AllowedSender {
    AllowedSender::Address(text.into())
}

#[tokio::test]
async fn users_are_added_verified_listed_changed_and_deleted() {
    let db = TempDb::new();
    let store = db.open().await;
    store.add_user("alice@example.com", "wonderland".into(), vec![]).await.unwrap();
    store.add_user("bob", "builder".into(), vec![address("bob@example.org")]).await.unwrap();
    store.add_user("carol", "secret".into(), vec![]).await.unwrap();

    let verdicts = [
        ("alice@example.com", "wonderland", true),
        ("alice@example.com", "Wonderland", false),
        ("alice@example.com", "", false),
        ("ALICE@example.com", "wonderland", false),
        ("bob", "builder", true),
        ("nobody", "builder", false),
        ("", "", false),
    ];
    for (name, password, expected) in verdicts {
        assert_eq!(
            store.verify(name, password.into()).await.unwrap(),
            expected,
            "{name}/{password}"
        );
    }

    assert!(matches!(
        store.add_user("bob", "again".into(), vec![]).await,
        Err(UserStoreError::UserExists(name)) if name == "bob"
    ));
    assert!(
        store.verify("bob", "builder".into()).await.unwrap(),
        "a refused re-add changes nothing"
    );
    for bad in ["", "bad\r\nname", "nul\0"] {
        assert!(matches!(
            store.add_user(bad, "x".into(), vec![]).await,
            Err(UserStoreError::InvalidName(_))
        ));
    }

    store.set_password("bob", "new".into()).await.unwrap();
    assert!(!store.verify("bob", "builder".into()).await.unwrap());
    assert!(store.verify("bob", "new".into()).await.unwrap());
    store.add_sender("carol", AllowedSender::Any).await.unwrap();
    store.add_sender("bob", address("bob@example.org")).await.unwrap();

    let listed = store.list_users().await.unwrap();
    let expected = vec![
        UserInfo { name: "alice@example.com".into(), senders: vec![address("alice@example.com")] },
        UserInfo { name: "bob".into(), senders: vec![address("bob@example.org")] },
        UserInfo { name: "carol".into(), senders: vec![AllowedSender::Any] },
    ];
    assert_eq!(listed, expected);

    store.delete_user("bob").await.unwrap();
    assert!(!store.verify("bob", "new".into()).await.unwrap());
    assert!(
        !store.may_send_as("bob", "bob@example.org").await.unwrap(),
        "senders go with the user"
    );
    let names: Vec<_> = store.list_users().await.unwrap().into_iter().map(|u| u.name).collect();
    assert_eq!(names, ["alice@example.com", "carol"]);

    for result in [
        store.delete_user("bob").await,
        store.set_password("bob", "x".into()).await,
        store.add_sender("bob", AllowedSender::Any).await,
    ] {
        assert!(matches!(result, Err(UserStoreError::NoSuchUser(name)) if name == "bob"));
    }
}

#[tokio::test]
async fn sender_permissions_follow_the_documented_policy() {
    let db = TempDb::new();
    let store = db.open().await;
    store.add_user("alice@example.com", "pw".into(), vec![]).await.unwrap();
    store.add_user("plain", "pw".into(), vec![]).await.unwrap();
    store
        .add_user("multi", "pw".into(), vec![address("a@one.example"), address("b@two.example")])
        .await
        .unwrap();
    store.add_user("any", "pw".into(), vec![AllowedSender::Any]).await.unwrap();

    let cases = [
        ("alice@example.com", "alice@example.com", true),
        ("alice@example.com", "alice@EXAMPLE.com", true),
        ("alice@example.com", "bob@example.com", false),
        ("alice@example.com", "", false),
        // A login that is not an address gets no sender by default.
        ("plain", "plain@example.com", false),
        ("plain", "", false),
        ("multi", "a@one.example", true),
        ("multi", "b@two.example", true),
        ("multi", "a@two.example", false),
        ("any", "whoever@anywhere.example", true),
        ("any", "", true),
        ("unknown", "unknown@example.com", false),
    ];
    for (user, sender, expected) in cases {
        assert_eq!(
            store.may_send_as(user, sender).await.unwrap(),
            expected,
            "{user} as {sender:?}"
        );
    }
}

#[tokio::test]
async fn hashes_are_argon2id_phc_strings_and_users_survive_reopening() {
    let db = TempDb::new();
    {
        let store = db.open().await;
        store.add_user("alice", "wonderland".into(), vec![address("a@example.com")]).await.unwrap();
    }
    let raw = rusqlite::Connection::open(db.path()).unwrap();
    let hash: String = raw.query_row("SELECT hash FROM users", [], |r| r.get(0)).unwrap();
    assert!(hash.starts_with("$argon2id$v=19$m=64,t=1,p=1$"), "{hash}");
    assert!(!hash.contains("wonderland"));
    let version: i64 = raw.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(version, 1);
    drop(raw);

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(db.path()).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "the database is private to its owner: {mode:o}");
    }

    let reopened = UserStore::open(db.path()).await.unwrap();
    assert!(reopened.verify("alice", "wonderland".into()).await.unwrap());
    assert!(reopened.may_send_as("alice", "a@example.com").await.unwrap());
}

#[tokio::test]
async fn databases_that_are_not_ours_are_refused() {
    let db = TempDb::new();
    std::fs::write(db.path(), vec![b'x'; 4096]).unwrap();
    assert!(matches!(
        UserStore::open_with(db.path(), FAST).await,
        Err(UserStoreError::Database(_))
    ));
    let newer = TempDb::new();
    rusqlite::Connection::open(newer.path())
        .unwrap()
        .execute_batch("PRAGMA user_version = 7")
        .unwrap();
    assert!(matches!(
        UserStore::open_with(newer.path(), FAST).await,
        Err(UserStoreError::UnsupportedSchema(7))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_verifications_all_get_their_own_answer() {
    let db = TempDb::new();
    let store = db.open().await;
    for n in 0..4 {
        store.add_user(&format!("user{n}"), format!("pw{n}").into(), vec![]).await.unwrap();
    }
    let mut tasks = Vec::new();
    for attempt in 0..32 {
        let store = store.clone();
        let (user, guess) = (attempt % 4, attempt % 3);
        tasks.push(tokio::spawn(async move {
            let ok =
                store.verify(&format!("user{user}"), format!("pw{guess}").into()).await.unwrap();
            (ok, user == guess)
        }));
    }
    for task in tasks {
        let (got, expected) = task.await.unwrap();
        assert_eq!(got, expected);
    }
}

#[tokio::test]
async fn unknown_users_cost_as_much_as_wrong_passwords() {
    let db = TempDb::new();
    let params = HashParams { memory_kib: 2048, iterations: 1, parallelism: 1 };
    let store = UserStore::open_with(db.path(), params).await.unwrap();
    store.add_user("alice", "right".into(), vec![]).await.unwrap();
    let counter = std::sync::Arc::clone(&store.inner.hasher.verifications);
    let runs = |before: usize| counter.load(std::sync::atomic::Ordering::Relaxed) - before;

    // A wrong password runs one argon2 verification; so does an unknown user (against the
    // dummy hash), and that dummy hash has the store's own cost parameters.
    let before = runs(0);
    assert!(!store.verify("alice", "wrong".into()).await.unwrap());
    assert_eq!(runs(before), 1);
    let before = runs(0);
    assert!(!store.verify("mallory", "wrong".into()).await.unwrap());
    assert_eq!(runs(before), 1);
    assert!(store.inner.dummy_hash.starts_with("$argon2id$v=19$m=2048,t=1,p=1$"));
}

async fn authenticate(authenticator: &RelayAuthenticator, data: AuthData) -> AuthResult {
    let server = ServerInfo::new("relay.example");
    let session = Session::new(1, PeerAddr::Memory("test".into()));
    let envelope = Envelope::default();
    let request = AuthRequest {
        server: &server,
        session: &session,
        envelope: &envelope,
        mechanism: "PLAIN",
        auth_data: &data,
        authzid: None,
    };
    authenticator.authenticate(&request).await
}

#[tokio::test]
async fn the_authenticator_answers_235_535_and_454() {
    let db = TempDb::new();
    let store = db.open().await;
    store.add_user("alice", "wonderland".into(), vec![]).await.unwrap();
    let authenticator = RelayAuthenticator::new(store);
    let login =
        |user: &str, password: &str| AuthData::LoginPassword(LoginPassword::new(user, password));

    let ok = authenticate(&authenticator, login("alice", "wonderland")).await;
    assert!(ok.success);
    assert_eq!(ok.login(), Some("alice"));
    assert_eq!(ok.reply().code().get(), 235);
    // The session keeps the login only, never the password.
    assert!(matches!(&ok.auth_data, Some(AuthData::Verified { login }) if login == "alice"));
    assert!(
        !ok.to_string().contains("wonderland")
            && !format!("{:?}", ok.auth_data).contains("wonderland")
    );

    let cases = [
        login("alice", "wrong"),
        login("nobody", "wonderland"),
        AuthData::Verified { login: "alice".into() },
    ];
    for data in cases {
        let refused = authenticate(&authenticator, data).await;
        assert!(!refused.success);
        assert_eq!(refused.reply().code().get(), 535);
        assert!(refused.is_credential_failure());
    }

    // Damage the database under the open store: the next check fails with 454.
    let raw = rusqlite::Connection::open(db.path()).unwrap();
    raw.execute_batch("DROP TABLE users").unwrap();
    drop(raw);
    let broken = authenticate(&authenticator, login("alice", "wonderland")).await;
    assert!(!broken.success);
    assert_eq!(broken.reply().code().get(), 454);
    assert!(!broken.is_credential_failure());
}
