//! Errors of the core. Every message names the file and place that is wrong
//! and, where it helps, what the user can do about it.

use std::path::PathBuf;

/// Result type of the core.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An error of the core, meant to be shown to the user as one line.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// A CSV file has a bad row or header.
    #[error("{path}:{line}{}: {message}", column.as_ref().map(|c| format!(" column '{c}'")).unwrap_or_default())]
    Csv {
        /// The file.
        path: PathBuf,
        /// 1-based line number in the file.
        line: u64,
        /// The column, when known.
        column: Option<String>,
        /// What is wrong.
        message: String,
    },
    /// A GeoJSON file or one of its features is unusable.
    #[error("{path}{}: {message}", feature.map(|f| format!(": feature {f}")).unwrap_or_default())]
    Geo {
        /// The file.
        path: PathBuf,
        /// 0-based feature index, when the problem is with one feature.
        feature: Option<usize>,
        /// What is wrong.
        message: String,
    },
    /// The project file is unusable.
    #[error("{path}: {message}")]
    Project {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// An edit or request that does not fit the plan (unknown territory, …).
    #[error("{0}")]
    Invalid(String),
    /// A file changed on disk since it was read, so it was not overwritten.
    #[error(
        "{0}: the file changed on disk since it was opened (another program or Turfmap saved it), so it was not overwritten; open it again and redo the change, or save under another name"
    )]
    Changed(PathBuf),
    /// The user cancelled a long operation.
    #[error("cancelled")]
    Cancelled,
}

impl Error {
    /// An [`Error::Io`] for `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }

    /// An [`Error::Invalid`] with the given message.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::Invalid(message.into())
    }
}
