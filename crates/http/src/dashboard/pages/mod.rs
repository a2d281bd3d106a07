//! The dashboard's pages, one module each; they all pass the session gate first.

pub(super) mod jobs;
pub(super) mod orders;
pub(super) mod overview;
pub(super) mod skus;
pub(super) mod stores;
