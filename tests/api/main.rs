//! API integration tests (being written).
