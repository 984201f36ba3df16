//! Accounts as rules: what a one-time SMS code is for.

text_enum!(
    /// What a code is for: a code sent for one cannot be used for the other.
    CodePurpose {
        Login => "login",
        Register => "register",
    }
);
