//! How the domain's fixed-text values (statuses, roles, kinds, …: `text_enum!`) are stored: as
//! their text, in `TEXT` columns with a `CHECK` listing them, on both backends. Written once
//! here for PostgreSQL, SQLite and the connection over both, so that rows, filters and
//! inserts hold the enums themselves and a text that is none of them is a read error.

use std::io::Write as _;

use diesel::deserialize::{self, FromSql};
use diesel::pg::Pg;
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::Text;
use diesel::sqlite::Sqlite;

use super::connection::{MultiBackend, MultiRawValue};
use crate::domain::TextValue;
use crate::domain::account::{CodePurpose, JoinStatus};
use crate::domain::calendar::DayKind;
use crate::domain::notification::{MessageTopic, NotifyChannel, NotifyEvent, NotifyStatus};
use crate::domain::policy::{
    ApplicationAction, ApplicationChannel, ApplicationStatus, Fit, PolicyStatus, PushState,
    RevenueBand, Scale, Size, TermKind,
};
use crate::domain::systemic::SystemicStatus;
use crate::domain::ticket::{
    Action, AllowedAction, Channel, ExtensionStatus, Priority, Rating, Role, TicketKind,
    TicketStatus,
};

macro_rules! stored_as_text {
    ($($name:ident),+ $(,)?) => {
        $(
            impl ToSql<Text, Pg> for $name {
                fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
                    out.write_all(self.as_str().as_bytes())?;
                    Ok(IsNull::No)
                }
            }

            impl ToSql<Text, Sqlite> for $name {
                fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
                    out.set_value(self.as_str());
                    Ok(IsNull::No)
                }
            }

            impl ToSql<Text, MultiBackend> for $name {
                fn to_sql<'b>(
                    &'b self,
                    out: &mut Output<'b, '_, MultiBackend>,
                ) -> serialize::Result {
                    out.set_value((Text, self));
                    Ok(IsNull::No)
                }
            }

            impl FromSql<Text, Pg> for $name {
                fn from_sql(bytes: diesel::pg::PgValue<'_>) -> deserialize::Result<Self> {
                    parse(std::str::from_utf8(bytes.as_bytes())?)
                }
            }

            impl FromSql<Text, Sqlite> for $name {
                fn from_sql(
                    bytes: diesel::sqlite::SqliteValue<'_, '_, '_>,
                ) -> deserialize::Result<Self> {
                    let text = <String as FromSql<Text, Sqlite>>::from_sql(bytes)?;
                    parse(&text)
                }
            }

            impl FromSql<Text, MultiBackend> for $name {
                fn from_sql(bytes: MultiRawValue<'_>) -> deserialize::Result<Self> {
                    bytes.from_sql::<Self, Text>()
                }
            }

        )+
    };
}

/// A stored text that is no value of the enum is a read error naming both (the `CHECK`
/// constraints make it impossible short of a hand edit or a newer binary's value).
fn parse<T: TextValue>(text: &str) -> deserialize::Result<T> {
    T::parse(text).ok_or_else(|| format!("{text:?} is not a {} value", T::NAME).into())
}

stored_as_text!(
    Role,
    TicketKind,
    Channel,
    TicketStatus,
    Priority,
    Rating,
    Action,
    ExtensionStatus,
    AllowedAction,
    NotifyChannel,
    NotifyStatus,
    NotifyEvent,
    MessageTopic,
    DayKind,
    CodePurpose,
    JoinStatus,
    SystemicStatus,
    PolicyStatus,
    TermKind,
    Scale,
    Size,
    RevenueBand,
    Fit,
    ApplicationStatus,
    ApplicationChannel,
    ApplicationAction,
    PushState,
);
