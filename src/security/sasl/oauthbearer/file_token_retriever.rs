//! A token read from a file (Java `FileTokenRetriever`): `sasl.oauthbearer.token.endpoint.url`
//! is a `file:` URL, and the file holds the JWT, read again at each refresh.

use crate::error::Error;
use std::path::PathBuf;

/// The most bytes read from the token file.
const MAX_FILE_SIZE: u64 = 1 << 20;

/// Reads the token from a file.
#[derive(Debug, Clone)]
pub(crate) struct FileTokenRetriever {
    path: PathBuf,
}

impl FileTokenRetriever {
    /// The retriever for a `file:` URL (`file:/path`, `file:///path` or `file://localhost/path`);
    /// the file must exist and be readable (Java checks it when configured).
    pub(crate) fn from_url(url: &str) -> Result<Self, Error> {
        let config = |message: String| Error::Config {
            key: "sasl.oauthbearer.token.endpoint.url".to_string(),
            message,
        };
        let rest = url
            .strip_prefix("file:")
            .ok_or_else(|| config(format!("{url} is not a file: URL")))?;
        let path = if let Some(after) = rest.strip_prefix("//") {
            let slash = after
                .find('/')
                .ok_or_else(|| config(format!("{url} names no file")))?;
            let (host, path) = after.split_at(slash);
            if !host.is_empty() && host != "localhost" {
                return Err(config(format!("{url}: only local files are supported")));
            }
            path
        } else {
            rest
        };
        if path.is_empty() {
            return Err(config(format!("{url} names no file")));
        }
        let path = PathBuf::from(path);
        match std::fs::metadata(&path) {
            Ok(m) if m.is_file() => Ok(FileTokenRetriever { path }),
            Ok(_) => Err(config(format!("{} is not a file", path.display()))),
            Err(e) => Err(config(format!("{} cannot be read: {e}", path.display()))),
        }
    }

    /// The file's contents, trimmed.
    pub(crate) fn retrieve(&self) -> Result<String, Error> {
        use std::io::Read;
        let mut text = String::new();
        std::fs::File::open(&self.path)
            .and_then(|f| f.take(MAX_FILE_SIZE).read_to_string(&mut text))
            .map_err(|e| {
                Error::sasl(format!(
                    "Could not read the access token from {}: {e}",
                    self.path.display()
                ))
            })?;
        log::debug!("Read an access token from {}", self.path.display());
        Ok(text.trim().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_token_file() {
        let dir = std::env::temp_dir().join(format!("kp-oauth-file-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("token.jwt");
        std::fs::write(&file, "  a.b.c\n").unwrap();
        for url in [
            format!("file:{}", file.display()),
            format!("file://{}", file.display()),
            format!("file://localhost{}", file.display()),
        ] {
            assert_eq!(
                FileTokenRetriever::from_url(&url)
                    .unwrap()
                    .retrieve()
                    .unwrap(),
                "a.b.c",
                "{url}"
            );
        }
        for bad in [
            format!("file:{}", dir.join("missing").display()),
            format!("file:{}", dir.display()),
            "file:".to_string(),
            "file://otherhost/x".to_string(),
            "http://x/".to_string(),
        ] {
            assert!(
                matches!(
                    FileTokenRetriever::from_url(&bad),
                    Err(Error::Config { .. })
                ),
                "{bad}"
            );
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
