//! The content-scanning engine: files, directories, archives and git history; rule packs for stored secrets and PII.
