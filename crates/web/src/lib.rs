//! The HTTP server: JSON API under `/v1`, the public pages and the admin console.
