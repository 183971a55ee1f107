//! The closed vocabulary of what a notice must (or must not) contain. The rules file names these
//! items by their stable ids; the notify crate can map each id to a template section.

use std::fmt;
use std::str::FromStr;

/// One content requirement or prohibition of a notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ContentItem {
    /// The notice is titled "Notice of Data Breach" (with the state's fixed headings).
    TitleNoticeOfDataBreach,
    /// A general description of what happened.
    WhatHappened,
    /// The kinds of personal information involved.
    InformationInvolved,
    /// What the company is doing about it.
    WhatWeAreDoing,
    /// What the recipient can do to protect themselves.
    WhatYouCanDo,
    /// The company's contact details for questions.
    Contact,
    /// Toll-free numbers, addresses and websites of the consumer reporting agencies.
    CraContacts,
    /// Contact details of the Federal Trade Commission.
    FtcContact,
    /// Contact details of the state attorney general.
    StateAgContact,
    /// How to place a (free) security freeze.
    FreezeInfo,
    /// How to place a fraud alert.
    FraudAlertInfo,
    /// The right to obtain a police report.
    PoliceReportRight,
    /// Advice to remain vigilant: review statements, monitor credit reports.
    RemainVigilant,
    /// The date, estimated date or date range of the breach.
    DateOfBreach,
    /// Advice to change passwords and security questions where credentials leaked.
    CredentialChangeAdvice,
    /// The offer of credit monitoring or identity-theft protection and how to enrol.
    MonitoringOffer,
    /// The likely consequences of the breach.
    LikelyConsequences,
    /// Clear and plain language.
    PlainLanguage,
    /// Contact details of the data protection officer.
    DpoContact,
    /// The number of people affected.
    NumberAffected,
    /// The nature of the breach (how it happened).
    NatureOfBreach,
}

impl ContentItem {
    /// Every item, in report order.
    pub const ALL: [ContentItem; 21] = [
        ContentItem::TitleNoticeOfDataBreach,
        ContentItem::WhatHappened,
        ContentItem::InformationInvolved,
        ContentItem::WhatWeAreDoing,
        ContentItem::WhatYouCanDo,
        ContentItem::Contact,
        ContentItem::CraContacts,
        ContentItem::FtcContact,
        ContentItem::StateAgContact,
        ContentItem::FreezeInfo,
        ContentItem::FraudAlertInfo,
        ContentItem::PoliceReportRight,
        ContentItem::RemainVigilant,
        ContentItem::DateOfBreach,
        ContentItem::CredentialChangeAdvice,
        ContentItem::MonitoringOffer,
        ContentItem::LikelyConsequences,
        ContentItem::PlainLanguage,
        ContentItem::DpoContact,
        ContentItem::NumberAffected,
        ContentItem::NatureOfBreach,
    ];

    /// The stable id used in the rules file.
    pub fn as_str(self) -> &'static str {
        match self {
            ContentItem::TitleNoticeOfDataBreach => "title_notice_of_data_breach",
            ContentItem::WhatHappened => "what_happened",
            ContentItem::InformationInvolved => "information_involved",
            ContentItem::WhatWeAreDoing => "what_we_are_doing",
            ContentItem::WhatYouCanDo => "what_you_can_do",
            ContentItem::Contact => "contact",
            ContentItem::CraContacts => "cra_contacts",
            ContentItem::FtcContact => "ftc_contact",
            ContentItem::StateAgContact => "state_ag_contact",
            ContentItem::FreezeInfo => "freeze_info",
            ContentItem::FraudAlertInfo => "fraud_alert_info",
            ContentItem::PoliceReportRight => "police_report_right",
            ContentItem::RemainVigilant => "remain_vigilant",
            ContentItem::DateOfBreach => "date_of_breach",
            ContentItem::CredentialChangeAdvice => "credential_change_advice",
            ContentItem::MonitoringOffer => "monitoring_offer",
            ContentItem::LikelyConsequences => "likely_consequences",
            ContentItem::PlainLanguage => "plain_language",
            ContentItem::DpoContact => "dpo_contact",
            ContentItem::NumberAffected => "number_affected",
            ContentItem::NatureOfBreach => "nature_of_breach",
        }
    }
}

impl fmt::Display for ContentItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ContentItem {
    type Err = String;

    /// Parses a stable id; the error lists the valid ids.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ContentItem::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| {
                let ids: Vec<&str> = ContentItem::ALL.iter().map(|c| c.as_str()).collect();
                format!(
                    "unknown content item `{s}` (expected one of: {})",
                    ids.join(", ")
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_ids_round_trip() {
        for c in ContentItem::ALL {
            assert_eq!(c.as_str().parse::<ContentItem>(), Ok(c));
        }
        assert!("number_of_people".parse::<ContentItem>().is_err());
    }
}
