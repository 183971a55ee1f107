//! [`Notify`]: campaigns from the breach engine's impact, templates and their checks, codes,
//! start/pause/resume/cancel, progress and previews. Operations need `notify.read` or
//! `notify.write`; reading people also needs the vault's `people.read` and a role allowed to
//! reveal contact fields (the purpose names the campaign, so the access log shows every read).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use custodian_auth::Principal;
use custodian_breach::obligations::ContentItem;
use custodian_breach::{BreachService, IncidentId};
use custodian_db::{Clock, Database, Timestamp};
use custodian_vault::{Field, FieldValue, PersonRef, ReadRequest, RequestContext, Vault};

use crate::codes::{self, CodeKey, ProtectionCode};
use crate::error::NotifyError;
use crate::model::{Campaign, CampaignStatus, ChannelKind, NewCampaign, Status};
use crate::store::{self, NewRecipient, RecipientRow};
use crate::template::{self, NoticeFacts, Rendered, TemplateKey, TemplateText};

/// The notification service.
#[derive(Clone)]
pub struct Notify {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) db: Database,
    pub(crate) vault: Vault,
    pub(crate) breach: BreachService,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) key: CodeKey,
    pub(crate) limits: crate::lookup::Limits,
}

impl std::fmt::Debug for Notify {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notify").finish_non_exhaustive()
    }
}

/// A person's contact data as read from the vault for one notice (revealed, never stored).
#[derive(Debug, Clone, Default)]
pub struct Contact {
    /// E-mail address.
    pub email: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// Mailing address lines (name, street, city state zip), when the street is known.
    pub address: Option<Vec<String>>,
}

pub(crate) const CONTACT_FIELDS: [Field; 7] = [
    Field::FirstName,
    Field::LastName,
    Field::Street,
    Field::City,
    Field::Zip,
    Field::Email,
    Field::Phone,
];

pub(crate) struct PersonData {
    pub(crate) row_id: i64,
    pub(crate) public_id: String,
    pub(crate) state: String,
    pub(crate) values: BTreeMap<Field, String>,
    /// Fields the caller's role saw only masked.
    pub(crate) masked: BTreeSet<Field>,
}

impl PersonData {
    /// A vault view as plain values; `asked` are the fields the read asked to reveal (those the
    /// role saw masked anyway are recorded).
    pub(crate) fn from_view(view: custodian_vault::PersonView, asked: &[Field]) -> PersonData {
        let mut values = BTreeMap::new();
        let mut masked = BTreeSet::new();
        for (f, v) in view.fields {
            let s = match v {
                FieldValue::Masked(m) => {
                    if asked.contains(&f) {
                        masked.insert(f);
                    }
                    m
                }
                FieldValue::Revealed(r) => r.expose().clone(),
            };
            values.insert(f, s);
        }
        PersonData {
            row_id: view.row_id,
            public_id: view.id,
            state: view.state.unwrap_or_default(),
            values,
            masked,
        }
    }

    /// Refuses data a notice cannot be addressed with: contact fields the role sees only masked
    /// (a masked e-mail address or street would send the notice nowhere, or to a stranger).
    pub(crate) fn require_revealed(&self, p: &Principal) -> Result<(), NotifyError> {
        // Only the fields the read asked to reveal are recorded as masked.
        let masked: Vec<&str> = self.masked.iter().map(|f| f.as_str()).collect();
        if masked.is_empty() {
            return Ok(());
        }
        Err(NotifyError::Auth(custodian_auth::AuthError::Forbidden {
            principal: p.name.clone(),
            role: p.role.name().to_owned(),
            permission: format!(
                "reveal of {} (seen masked; plan and send campaigns as a principal whose role may reveal contact fields, such as `notifier`)",
                masked.join(", ")
            ),
        }))
    }

    fn get(&self, f: Field) -> String {
        self.values.get(&f).cloned().unwrap_or_default()
    }
    fn has(&self, f: Field) -> bool {
        self.values
            .get(&f)
            .is_some_and(|v| !v.is_empty() && !v.contains('*'))
    }
}

/// Which template serves a recipient: the exact cohort, else the account kind, else `*`.
pub(crate) fn pick<'a, T>(
    ts: &'a BTreeMap<TemplateKey, T>,
    cohort: &str,
    kind: &str,
    channel: ChannelKind,
    language: &str,
) -> Option<(&'a TemplateKey, &'a T)> {
    for c in [cohort, kind, "*"] {
        let k = TemplateKey {
            cohort: c.to_owned(),
            channel,
            language: language.to_owned(),
        };
        if let Some(e) = ts.get_key_value(&k) {
            return Some(e);
        }
    }
    None
}

impl Notify {
    /// The service over the vault's database. `key` derives lookup and verification codes; the
    /// notify migrations ([`crate::COMPONENT`]) must have run.
    pub fn new(vault: Vault, breach: BreachService, clock: Arc<dyn Clock>, key: CodeKey) -> Notify {
        Notify {
            inner: Arc::new(Inner {
                db: vault.db().clone(),
                vault,
                breach,
                clock,
                key,
                limits: crate::lookup::Limits::default(),
            }),
        }
    }

    /// The database.
    pub fn db(&self) -> &Database {
        &self.inner.db
    }

    pub(crate) fn now(&self) -> Timestamp {
        self.inner.clock.now()
    }

    /// All campaigns. Needs `notify.read`.
    pub async fn list(&self, p: &Principal) -> Result<Vec<Campaign>, NotifyError> {
        p.require("notify.read")?;
        store::campaigns(self.db()).await
    }

    /// One campaign by name or id. Needs `notify.read`.
    pub async fn campaign(&self, p: &Principal, name: &str) -> Result<Campaign, NotifyError> {
        p.require("notify.read")?;
        store::campaign_by_name(self.db(), name).await
    }

    pub(crate) async fn read_person(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        who: &PersonRef,
        fields: &[Field],
        purpose: &str,
    ) -> Result<PersonData, NotifyError> {
        let view = self
            .inner
            .vault
            .reader(p, ctx)?
            .get(
                who,
                &ReadRequest {
                    reveal: fields.to_vec(),
                    purpose: Some(purpose.to_owned()),
                },
            )
            .await?;
        Ok(PersonData::from_view(view, fields))
    }

    /// Creates a campaign from an impact version and plans its audience: one recipient per
    /// affected person (cohort, language, minor or not, lookup code) and one queued notice on the
    /// first channel of the order their contact data allows. Reads each person's contact fields
    /// and date of birth from the vault with the campaign in the purpose. Nothing is sent until
    /// [`Notify::start`]. Needs `notify.write` and `incidents.read`.
    pub async fn create(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        new: &NewCampaign,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<Campaign, NotifyError> {
        p.require("notify.write")?;
        // Planning reads each person's contact fields from the vault.
        p.require("people.read")?;
        let ok = (1..=100).contains(&new.name.len())
            && new
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
            && !new.name.chars().all(|c| c.is_ascii_digit());
        if !ok {
            return Err(NotifyError::invalid(
                "the campaign name must be 1-100 letters, digits, `-`, `_` or `.` (not only digits)",
            ));
        }
        if new.channels.is_empty() {
            return Err(NotifyError::invalid("at least one channel is needed"));
        }
        let reader = self.inner.breach.incident_reader(p, ctx)?;
        let incident = IncidentId(new.incident);
        let v = reader.impact(incident, new.impact_version).await?;
        let now = self.now();
        let id = store::insert_campaign(
            self.db(),
            &new.name,
            new.incident,
            v.version,
            &new.channels,
            &new.settings,
            &p.name,
            now,
        )
        .await?;
        // Planning reads every affected person; if any read or write fails, the half-planned
        // campaign is removed again, so a retry starts clean and no draft is left behind.
        let planned: Result<(), NotifyError> = async {
            let purpose = format!(
                "breach notification campaign {}: plan channel and age",
                new.name
            );
            let today = now.to_datetime().date();
            let mut planned = 0;
            let mut page = 0;
            while let Some(people) = reader.affected_page(&v, page).await? {
                let mut batch = Vec::with_capacity(people.len());
                let fields = [Field::Email, Field::Phone, Field::Street, Field::Dob];
                let req = ReadRequest {
                    reveal: fields.to_vec(),
                    purpose: Some(purpose.clone()),
                };
                let vault = self.inner.vault.reader(p, ctx)?;
                for chunk in people.chunks(custodian_vault::MAX_BATCH_READ) {
                    let who: Vec<PersonRef> = chunk
                        .iter()
                        .map(|a| PersonRef::parse(&a.public_id))
                        .collect();
                    let views = vault.get_many(&who, &req).await?;
                    for (a, view) in chunk.iter().zip(views) {
                        let exposed = v.exposed(a.clear, a.encrypted);
                        let d = match view {
                            Ok(view) => PersonData::from_view(view, &fields),
                            // Shredded since the impact was computed: nobody left to notify.
                            Err(custodian_vault::VaultError::NotFound) => continue,
                            Err(e) => return Err(e.into()),
                        };
                        d.require_revealed(p)?;
                        let minor = d
                            .values
                            .get(&Field::Dob)
                            .and_then(|s| {
                                time::Date::parse(
                                    s,
                                    time::macros::format_description!("[year]-[month]-[day]"),
                                )
                                .ok()
                            })
                            .is_some_and(|dob| age_on(dob, today) < 18);
                        let channel = new
                            .channels
                            .iter()
                            .copied()
                            .find(|c| match c {
                                ChannelKind::Email => d.has(Field::Email),
                                ChannelKind::Sms => d.has(Field::Phone),
                                ChannelKind::Letter => d.has(Field::Street),
                            })
                            .unwrap_or(new.channels[new.channels.len() - 1]);
                        let lookup = self.inner.key.lookup_code(id.0, d.row_id);
                        let idem = store::idem_key(id.0, d.row_id, channel);
                        batch.push(NewRecipient {
                            person_id: d.row_id,
                            public_id: d.public_id.clone(),
                            external_id: a.external_id.clone(),
                            cohort: format!("{}:{}", a.account_kind, exposed),
                            elements: i64::from(exposed.bits()),
                            account_kind: a.account_kind.to_string(),
                            state: d.state.clone(),
                            language: new.settings.default_language.clone(),
                            minor,
                            lookup_hash: codes::hash(&lookup),
                            channel,
                            verify_hash: codes::hash(&self.inner.key.verify_code(&idem)),
                        });
                    }
                }
                planned += store::insert_recipients(self.db(), id, &batch, now).await?;
                progress(planned);
                page += 1;
            }
            Ok(())
        }
        .await;
        if let Err(e) = planned {
            if let Err(d) = store::delete_draft(self.db(), id).await {
                tracing::warn!(campaign = %new.name, error = %d, "removing a half-planned campaign failed");
            }
            return Err(e);
        }
        store::campaign(self.db(), id).await
    }

    /// Sets a recipient's language (from the company's preference data) before the start.
    pub async fn set_language(
        &self,
        p: &Principal,
        name: &str,
        person: &str,
        language: &str,
    ) -> Result<(), NotifyError> {
        p.require("notify.write")?;
        let c = self.draft(name).await?;
        custodian_db::sqlx::query(
            "UPDATE notify_recipients SET language = $1 WHERE campaign_id = $2 AND (external_id = $3 OR public_id = $3)",
        )
        .bind(language)
        .bind(c.id.0)
        .bind(person)
        .execute(self.db().pool())
        .await?;
        Ok(())
    }

    async fn draft(&self, name: &str) -> Result<Campaign, NotifyError> {
        let c = store::campaign_by_name(self.db(), name).await?;
        if c.status != CampaignStatus::Draft {
            return Err(NotifyError::invalid(format!(
                "campaign {} is {}; templates and audience change only while it is a draft",
                c.name, c.status
            )));
        }
        Ok(c)
    }

    /// Stores a template for a cohort (exact key, account kind or `*`), channel and language.
    /// Needs `notify.write`; only while the campaign is a draft.
    pub async fn set_template(
        &self,
        p: &Principal,
        name: &str,
        key: &TemplateKey,
        t: &TemplateText,
    ) -> Result<(), NotifyError> {
        p.require("notify.write")?;
        let c = self.draft(name).await?;
        if !(2..=8).contains(&key.language.len()) {
            return Err(NotifyError::invalid(
                "the language must be a code such as en or es",
            ));
        }
        store::put_template(
            self.db(),
            c.id,
            &key.cohort,
            key.channel,
            &key.language,
            &t.subject,
            &t.body,
            self.now(),
        )
        .await
    }

    /// Stores the built-in English and Spanish templates of every channel for every cohort (`*`).
    /// Needs `notify.write`; only while the campaign is a draft.
    pub async fn install_builtin_templates(
        &self,
        p: &Principal,
        name: &str,
    ) -> Result<(), NotifyError> {
        for ch in ChannelKind::ALL {
            for lang in ["en", "es"] {
                let key = TemplateKey {
                    cohort: "*".into(),
                    channel: ch,
                    language: lang.into(),
                };
                self.set_template(p, name, &key, &template::builtin(ch, lang))
                    .await?;
            }
        }
        Ok(())
    }

    /// The campaign's templates.
    pub async fn templates(
        &self,
        p: &Principal,
        name: &str,
    ) -> Result<BTreeMap<TemplateKey, TemplateText>, NotifyError> {
        p.require("notify.read")?;
        let c = store::campaign_by_name(self.db(), name).await?;
        self.load_templates(&c).await
    }

    pub(crate) async fn load_templates(
        &self,
        c: &Campaign,
    ) -> Result<BTreeMap<TemplateKey, TemplateText>, NotifyError> {
        let mut out = BTreeMap::new();
        for (cohort, ch, language, subject, body) in store::templates(self.db(), c.id).await? {
            out.insert(
                TemplateKey {
                    cohort,
                    channel: ch.parse().map_err(NotifyError::Invalid)?,
                    language,
                },
                TemplateText { subject, body },
            );
        }
        Ok(out)
    }

    /// Imports identity-protection codes. Needs `notify.write`. Returns (added, duplicates).
    pub async fn import_codes(
        &self,
        p: &Principal,
        codes: &[ProtectionCode],
    ) -> Result<(u64, u64), NotifyError> {
        p.require("notify.write")?;
        store::import_codes(self.db(), codes, self.now()).await
    }

    /// What the notices must contain, per the breach engine's obligations for the campaign's
    /// impact version: each item with the jurisdictions that require it.
    pub async fn required_content(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        c: &Campaign,
    ) -> Result<Vec<(ContentItem, Vec<String>)>, NotifyError> {
        let plan = self
            .inner
            .breach
            .incident_reader(p, ctx)?
            .obligations(IncidentId(c.incident), Some(c.impact_version))
            .await?;
        let mut m: BTreeMap<ContentItem, BTreeSet<String>> = BTreeMap::new();
        for j in &plan.jurisdictions {
            if j.required && j.individual_notice.is_some() {
                for item in &j.content_required {
                    m.entry(*item)
                        .or_default()
                        .insert(j.code.as_str().to_owned());
                }
            }
        }
        Ok(m.into_iter()
            .map(|(k, v)| (k, v.into_iter().collect()))
            .collect())
    }

    /// Everything that stops the campaign from starting, each naming what is missing: templates
    /// for every planned cohort, channel (including fallback channels) and language, placeholders
    /// that do not resolve, required content, and code pool coverage. Empty when it may start.
    pub async fn check(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        name: &str,
    ) -> Result<Vec<String>, NotifyError> {
        p.require("notify.read")?;
        let c = store::campaign_by_name(self.db(), name).await?;
        let mut problems = Vec::new();
        let required = match self.required_content(p, ctx, &c).await {
            Ok(r) => r,
            Err(e) => {
                problems.push(format!("the obligations plan is unavailable, so required content cannot be checked: {e}"));
                Vec::new()
            }
        };
        let ts = self.load_templates(&c).await?;
        let mut checked = BTreeSet::new();
        for (cohort, language, _ch, _minor, n) in store::audience_shapes(self.db(), c.id).await? {
            let kind = cohort.split(':').next().unwrap_or("").to_owned();
            for ch in &c.channels {
                match pick(&ts, &cohort, &kind, *ch, &language) {
                    None => problems.push(format!(
                        "no template for cohort {cohort}, channel {ch}, language {language} ({n} notices)"
                    )),
                    Some((k, t)) => {
                        if checked.insert(k.clone()) {
                            problems.extend(template::check(k, t, &required));
                        }
                    }
                }
            }
        }
        let ((need_a, need_m), (free_a, free_m)) = store::code_needs(self.db(), c.id).await?;
        if need_a > free_a {
            problems.push(format!("the identity-protection code pool has {free_a} free adult codes for {need_a} adult recipients"));
        }
        if need_m > free_m {
            problems.push(format!("the identity-protection code pool has {free_m} free minor codes for {need_m} minor recipients"));
        }
        problems.dedup();
        Ok(problems)
    }

    /// Checks the campaign, assigns identity-protection codes (all or none, in one transaction)
    /// and starts it. Refuses, naming every problem, when the check fails.
    pub async fn start(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        name: &str,
    ) -> Result<Campaign, NotifyError> {
        p.require("notify.write")?;
        let c = store::campaign_by_name(self.db(), name).await?;
        if c.status != CampaignStatus::Draft {
            return Err(NotifyError::invalid(format!(
                "campaign {} is already {}",
                c.name, c.status
            )));
        }
        let problems = self.check(p, ctx, name).await?;
        if !problems.is_empty() {
            return Err(NotifyError::NotReady(problems));
        }
        store::assign_codes(self.db(), c.id, self.now()).await?;
        store::set_status(
            self.db(),
            c.id,
            &[CampaignStatus::Draft],
            CampaignStatus::Running,
            "",
            self.now(),
        )
        .await?;
        store::campaign(self.db(), c.id).await
    }

    /// Claims up to `limit` due notices for `owner` and sends nothing: what a worker killed right
    /// after claiming leaves behind (tests of lease expiry use it). Returns how many.
    #[doc(hidden)]
    pub async fn claim_only(
        &self,
        name: &str,
        owner: &str,
        limit: i64,
    ) -> Result<usize, NotifyError> {
        let c = store::campaign_by_name(self.db(), name).await?;
        let now = self.now();
        let lease = now.plus_seconds(c.settings.lease_secs.max(1));
        Ok(store::claim(self.db(), c.id, owner, now, lease, limit)
            .await?
            .len())
    }

    /// Pauses a running campaign: workers stop claiming; notices in flight finish.
    pub async fn pause(
        &self,
        p: &Principal,
        name: &str,
        reason: &str,
    ) -> Result<Campaign, NotifyError> {
        p.require("notify.write")?;
        let c = store::campaign_by_name(self.db(), name).await?;
        if !store::set_status(
            self.db(),
            c.id,
            &[CampaignStatus::Running],
            CampaignStatus::Paused,
            reason,
            self.now(),
        )
        .await?
        {
            return Err(NotifyError::invalid(format!(
                "campaign {} is {}, not running",
                c.name, c.status
            )));
        }
        store::campaign(self.db(), c.id).await
    }

    /// Resumes a paused campaign: every notice continues from its own state.
    pub async fn resume(&self, p: &Principal, name: &str) -> Result<Campaign, NotifyError> {
        p.require("notify.write")?;
        let c = store::campaign_by_name(self.db(), name).await?;
        if !store::set_status(
            self.db(),
            c.id,
            &[CampaignStatus::Paused],
            CampaignStatus::Running,
            "",
            self.now(),
        )
        .await?
        {
            return Err(NotifyError::invalid(format!(
                "campaign {} is {}, not paused",
                c.name, c.status
            )));
        }
        store::try_finish(self.db(), c.id, self.now()).await?;
        store::campaign(self.db(), c.id).await
    }

    /// Cancels a campaign for good; open notices become `cancelled`.
    pub async fn cancel(
        &self,
        p: &Principal,
        name: &str,
        reason: &str,
    ) -> Result<Campaign, NotifyError> {
        p.require("notify.write")?;
        let c = store::campaign_by_name(self.db(), name).await?;
        let from = [
            CampaignStatus::Draft,
            CampaignStatus::Running,
            CampaignStatus::Paused,
        ];
        if !store::set_status(
            self.db(),
            c.id,
            &from,
            CampaignStatus::Cancelled,
            reason,
            self.now(),
        )
        .await?
        {
            return Err(NotifyError::invalid(format!(
                "campaign {} is already {}",
                c.name, c.status
            )));
        }
        store::cancel_open(self.db(), c.id, self.now()).await?;
        store::campaign(self.db(), c.id).await
    }

    /// Progress: counts by channel and state, rate over the last minute, time left.
    pub async fn status(&self, p: &Principal, name: &str) -> Result<Status, NotifyError> {
        p.require("notify.read")?;
        let mut c = store::campaign_by_name(self.db(), name).await?;
        if c.status == CampaignStatus::Running
            && store::try_finish(self.db(), c.id, self.now()).await?
        {
            c = store::campaign(self.db(), c.id).await?;
        }
        let now = self.now();
        let (by, recipients, recent, assigned, (free_a, free_m)) =
            store::counts(self.db(), c.id, now.plus_seconds(-60)).await?;
        let mut by_channel: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
        let mut by_state: BTreeMap<String, u64> = BTreeMap::new();
        let (mut open, mut done) = (0, 0);
        for (ch, st, n) in by {
            let n = n.max(0) as u64;
            *by_channel
                .entry(ch)
                .or_default()
                .entry(st.clone())
                .or_default() += n;
            *by_state.entry(st.clone()).or_default() += n;
            if crate::model::NoticeState::parse(&st).is_some_and(|s| s.is_open()) {
                open += n;
            } else {
                done += n;
            }
        }
        let rate = recent as f64 / 60.0;
        Ok(Status {
            campaign: c,
            recipients: recipients.max(0) as u64,
            by_channel,
            by_state,
            open,
            done,
            rate_per_sec: rate,
            eta_secs: (rate > 0.0).then(|| (open as f64 / rate).ceil() as u64),
            codes_assigned: assigned.max(0) as u64,
            codes_free_adult: free_a.max(0) as u64,
            codes_free_minor: free_m.max(0) as u64,
        })
    }

    /// Renders one person's notice (external or opaque id) on a channel (default: their planned
    /// one) as it would be sent, with the contact it goes to and its idempotency key. The preview
    /// carries masked data only where masks apply; it is read under the caller's principal with
    /// the purpose recorded.
    pub async fn preview(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        name: &str,
        person: &str,
        channel: Option<ChannelKind>,
    ) -> Result<(TemplateKey, Rendered, Contact, String), NotifyError> {
        p.require("notify.read")?;
        let c = store::campaign_by_name(self.db(), name).await?;
        let r = store::recipient_by_person(self.db(), c.id, person)
            .await?
            .ok_or_else(|| {
                NotifyError::invalid(format!("{person} is not in campaign {}", c.name))
            })?;
        let ch = channel.unwrap_or(c.channels[0]);
        let ts = self.load_templates(&c).await?;
        let idem = store::idem_key(c.id.0, r.person_id, ch);
        let purpose = format!("breach notification campaign {}: preview a notice", c.name);
        let (k, rendered, contact) = self
            .render_notice(p, ctx, &c, &r, ch, &idem, &ts, &purpose, true)
            .await?;
        Ok((k, rendered, contact, idem))
    }

    /// Renders a notice for a recipient (reading the vault).
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn render_notice(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        c: &Campaign,
        r: &RecipientRow,
        channel: ChannelKind,
        idem: &str,
        ts: &BTreeMap<TemplateKey, TemplateText>,
        purpose: &str,
        allow_masked: bool,
    ) -> Result<(TemplateKey, Rendered, Contact), NotifyError> {
        let (k, t) =
            pick(ts, &r.cohort, &r.account_kind, channel, &r.language).ok_or_else(|| {
                NotifyError::invalid(format!(
                    "no template for cohort {}, channel {channel}, language {}",
                    r.cohort, r.language
                ))
            })?;
        let d = self
            .read_person(
                p,
                ctx,
                &PersonRef::parse(&r.public_id),
                &CONTACT_FIELDS,
                purpose,
            )
            .await?;
        if !allow_masked {
            d.require_revealed(p)?;
        }
        let (rendered, contact) = self.compose(
            c,
            r,
            channel,
            idem,
            &d,
            k,
            &template::Compiled::new(t, channel),
        )?;
        Ok((k.clone(), rendered, contact))
    }

    /// A recipient's notice from their vault data, with a template compiled for its channel:
    /// the rendered text and where to send it.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn compose(
        &self,
        c: &Campaign,
        r: &RecipientRow,
        channel: ChannelKind,
        idem: &str,
        d: &PersonData,
        k: &TemplateKey,
        t: &template::Compiled,
    ) -> Result<(Rendered, Contact), NotifyError> {
        let elements = custodian_vault::ElementSet::from_bits(r.elements as u32)
            .iter()
            .map(|e| custodian_breach::cohort::short_label(e).to_owned())
            .collect();
        let facts = NoticeFacts {
            first_name: d.get(Field::FirstName),
            last_name: d.get(Field::LastName),
            street: d.get(Field::Street),
            city: d.get(Field::City),
            state: d.state.clone(),
            zip: d.get(Field::Zip),
            ssn_masked: d
                .values
                .get(&Field::Ssn)
                .filter(|v| v.contains('*'))
                .cloned()
                .unwrap_or_default(),
            minor: r.minor,
            cohort_key: r.cohort.clone(),
            account_kind: r.account_kind.clone(),
            elements,
            lookup_code: self.inner.key.lookup_code(r.campaign_id, r.person_id),
            verify_code: self.inner.key.verify_code(idem),
            protection: r.code.clone(),
            channel,
            settings: c.settings.clone(),
            incident_title: c.name.clone(),
        };
        let rendered = t
            .render(&template::notice_context(&facts))
            .map_err(|detail| NotifyError::Template {
                name: k.to_string(),
                detail,
            })?;
        let full = format!("{} {}", facts.first_name, facts.last_name)
            .trim()
            .to_owned();
        let addressee = if r.minor {
            format!("Parent or guardian of {full}")
        } else {
            full
        };
        let contact = Contact {
            email: d.has(Field::Email).then(|| d.get(Field::Email)),
            phone: d.has(Field::Phone).then(|| d.get(Field::Phone)),
            address: d.has(Field::Street).then(|| {
                vec![
                    addressee,
                    facts.street.clone(),
                    format!("{} {} {}", facts.city, facts.state, facts.zip)
                        .trim()
                        .to_owned(),
                ]
            }),
        };
        Ok((rendered, contact))
    }
}

/// Whole years from `dob` to `today`.
pub(crate) fn age_on(dob: time::Date, today: time::Date) -> i32 {
    let mut age = today.year() - dob.year();
    if (today.month() as u8, today.day()) < (dob.month() as u8, dob.day()) {
        age -= 1;
    }
    age
}
