//! Files that hold the whole database are created readable by the owner
//! only (0600), whatever the umask: a copy of `xinfang.db` or a snapshot is
//! as sensitive as the data in it (identity numbers are encrypted, but
//! hashes, names of units and the history are not).

use std::path::Path;

/// Create `path` empty with mode 0600 unless it exists (an existing file
/// keeps its mode: the operator may have chosen it).
pub(crate) fn create_private(path: &Path) -> std::io::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    match opts.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// Restrict an existing file (a copy made by `std::fs::copy`) to 0600.
pub(crate) fn restrict(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}
