//! Accounts as rules: what a one-time SMS code is for.

text_enum!(
    /// What a code is for: a code sent for one cannot be used for another. `reset`: choosing a
    /// new password for a forgotten one (enterprise accounts).
    CodePurpose {
        Login => "login",
        Register => "register",
        Reset => "reset",
    }
);
