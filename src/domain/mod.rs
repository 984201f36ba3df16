//! The rules of the district's request workflow: ticket states and who may move them,
//! identifiers (unified social credit codes, phone numbers), text handling and time.
//! Nothing here knows about HTTP or a database, so all of it is unit-tested directly.

/// Defines a fieldless enum that is stored and sent as fixed snake_case text. The text of
/// each variant must be its name in snake_case (serde and the OpenAPI schema derive it from
/// the name; `as_str` spells it out, and a test checks that the two agree).
///
/// The two diesel derives only name the SQL type (`Text`), so that rows and filters can hold
/// the enum itself; how it is written and read on each backend is `db::text_enums`' business.
/// They are the one trace of diesel here: derives must sit on the definition.
macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize, utoipa::ToSchema,
            diesel::AsExpression, diesel::FromSqlRow,
        )]
        #[diesel(sql_type = diesel::sql_types::Text)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            pub fn parse(text: &str) -> Option<Self> {
                match text {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }

            /// The accepted values, for error messages.
            pub fn expected() -> String {
                [$($text),+].join(", ")
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl $crate::domain::TextValue for $name {
            const NAME: &'static str = stringify!($name);

            fn as_str(self) -> &'static str {
                $name::as_str(self)
            }

            fn parse(text: &str) -> Option<Self> {
                $name::parse(text)
            }

            fn expected() -> String {
                $name::expected()
            }
        }
    };
}

/// A value with a fixed set of spellings: the enums of `text_enum!`, and the few written by
/// hand. Lets one function read any of them from a query parameter or a database column.
pub trait TextValue: Sized + Copy + 'static {
    /// The type's name, for messages.
    const NAME: &'static str;
    fn as_str(self) -> &'static str;
    fn parse(text: &str) -> Option<Self>;
    /// The accepted values, for error messages.
    fn expected() -> String;
}

pub mod account;
pub mod calendar;
pub mod credit_code;
pub mod kpi;
pub mod notification;
pub mod phone;
pub mod policy;
pub mod systemic;
pub mod text;
pub mod ticket;
pub mod time;
pub mod validation;
