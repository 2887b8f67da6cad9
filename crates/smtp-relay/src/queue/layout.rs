//! Where the directory queue keeps each file.
//!
//! ```text
//! <root>/tmp/<id>.eml         a body being received (or a metadata file being replaced: .json)
//! <root>/msg/<id>.eml         a committed body
//! <root>/msg/<id>.json        its metadata (serde_json of `QueuedMessage`); present = committed
//! <root>/quarantine/<id>.json metadata found without its body at open, kept for the operator
//! ```

use std::path::{Path, PathBuf};

use super::QueueId;
use super::ids::is_valid_id;

/// A body file's extension.
pub(crate) const BODY_EXT: &str = "eml";
/// A metadata file's extension.
pub(crate) const META_EXT: &str = "json";

/// The directories of one queue.
#[derive(Clone, Debug)]
pub(crate) struct Layout {
    /// Files being written.
    pub(crate) tmp: PathBuf,
    /// Committed messages.
    pub(crate) msg: PathBuf,
    /// Entries set aside at open.
    pub(crate) quarantine: PathBuf,
}

impl Layout {
    /// The layout under `root`.
    pub(crate) fn new(root: &Path) -> Self {
        Self { tmp: root.join("tmp"), msg: root.join("msg"), quarantine: root.join("quarantine") }
    }

    /// The body being received.
    pub(crate) fn tmp_body(&self, id: &QueueId) -> PathBuf {
        file(&self.tmp, id, BODY_EXT)
    }

    /// Metadata being written before its rename into `msg/`.
    pub(crate) fn tmp_meta(&self, id: &QueueId) -> PathBuf {
        file(&self.tmp, id, META_EXT)
    }

    /// A committed body.
    pub(crate) fn body(&self, id: &QueueId) -> PathBuf {
        file(&self.msg, id, BODY_EXT)
    }

    /// A committed message's metadata.
    pub(crate) fn meta(&self, id: &QueueId) -> PathBuf {
        file(&self.msg, id, META_EXT)
    }
}

/// `dir/<id>.<ext>`; an identifier that is not one of ours (it could hold `/` or `..`) maps to
/// a name that never exists, so it cannot reach outside the queue.
fn file(dir: &Path, id: &QueueId, ext: &str) -> PathBuf {
    if is_valid_id(&id.0) {
        dir.join(format!("{}.{ext}", id.0))
    } else {
        dir.join(format!("invalid-queue-id.{ext}.none"))
    }
}

/// Splits a directory entry's name into a valid queue id and its extension.
pub(crate) fn parse_name(name: &str) -> Option<(QueueId, &str)> {
    let (stem, ext) = name.split_once('.')?;
    is_valid_id(stem).then(|| (QueueId(stem.to_owned()), ext))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn foreign_ids_never_leave_the_queue_directory() {
        let layout = Layout::new(Path::new("/q"));
        let good = QueueId("0005f1c2a3b4c5d6-0a1b2c3d".into());
        assert_eq!(layout.body(&good), Path::new("/q/msg/0005f1c2a3b4c5d6-0a1b2c3d.eml"));
        assert_eq!(layout.tmp_meta(&good), Path::new("/q/tmp/0005f1c2a3b4c5d6-0a1b2c3d.json"));
        for bad in ["../../etc/passwd", "x/y", ""] {
            let path = layout.meta(&QueueId(bad.into()));
            assert_eq!(path.parent(), Some(Path::new("/q/msg")), "{bad}");
            assert!(path.to_string_lossy().ends_with(".none"), "{bad}");
        }
    }

    #[test]
    fn names_split_into_id_and_extension() {
        let (id, ext) = parse_name("0005f1c2a3b4c5d6-0a1b2c3d.json").unwrap();
        assert_eq!((id.0.as_str(), ext), ("0005f1c2a3b4c5d6-0a1b2c3d", "json"));
        assert!(parse_name("README").is_none());
        assert!(parse_name("notanid.eml").is_none());
    }
}
