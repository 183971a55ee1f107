//! Notification campaigns: templates, channels (SMTP e-mail, SMS gateway, postal letters), the
//! outbox that delivers each notice once, identity-protection codes, the "was I affected?" lookup
//! and the login banner.
