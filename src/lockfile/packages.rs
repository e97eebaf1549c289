//! What a lock records for the packages `RUN` installs: per stage and package manager, the
//! base image the distribution was read from, the repositories, apt's snapshot, and each
//! package named on a command line with the version it resolves to.

use crate::packages::Manager;
use crate::reference::Digest;

/// What identifies a packages entry in a lock: the stage (its name, or its index for an
/// unnamed stage) and the manager.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PackagesKey {
    /// For a compose or bake lock, the Dockerfile a build reads (relative to the lock's
    /// directory, `/`-separated); none in a Dockerfile's own lock.
    pub dockerfile: Option<String>,
    pub stage: String,
    pub manager: Manager,
}

/// One stage's installs with one manager.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackagesEntry {
    /// The `RUN` lines that install (1-based).
    pub lines: Vec<usize>,
    /// The image entry (its `reference`, as in `images:`) the distribution was read from.
    pub base: String,
    /// The manifest whose layers were read: the locked platform's.
    pub base_digest: Digest,
    pub platform: String,
    /// `ID` and `VERSION_ID` of the image's os-release.
    pub distro: String,
    pub release: String,
    /// apt's snapshot ID (`20260101T000000Z`); none for apk.
    pub snapshot: Option<String>,
    /// The image's own apt version: from 2.7 on, apt applies `--snapshot` itself; before,
    /// the sources must point at the snapshot.
    pub apt_version: Option<String>,
    pub repositories: Vec<Repository>,
    /// Sorted by name.
    pub packages: Vec<LockedPackage>,
}

/// A repository the image's package manager reads, as the image configures it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Repository {
    pub uri: String,
    /// apt: the suite and components; apk: none.
    pub suite: Option<String>,
    pub components: Vec<String>,
    /// apt: where the snapshot is read from.
    pub snapshot_uri: Option<String>,
    /// apt: the keyring the source is signed with (`Signed-By`), kept when the sources
    /// are pointed at the snapshot.
    pub signed_by: Option<String>,
}

/// One package named on a command line, and what it resolves to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct LockedPackage {
    pub name: String,
    pub version: String,
    pub architecture: String,
    /// apt: the suite it comes from.
    pub suite: Option<String>,
    /// apt: the `.deb`'s sha256 (none when the image already has that version installed).
    pub sha256: Option<String>,
    /// apk: the index's `C:` checksum.
    pub checksum: Option<String>,
}
