//! The rules of the district's request workflow: ticket states and who may move them,
//! identifiers (unified social credit codes, phone numbers), text handling and time.
//! Nothing here knows about HTTP or a database, so all of it is unit-tested directly.

pub mod credit_code;
pub mod phone;
pub mod text;
pub mod ticket;
pub mod time;
pub mod validation;
