//! Accounts as rules: what a one-time SMS code is for.

text_enum!(
    /// What a code is for: a code sent for one cannot be used for another. `reset`: choosing a
    /// new password for a forgotten one (enterprise accounts); `phone`: proving a new phone
    /// number before it replaces the account's (asked for by the signed-in user).
    CodePurpose {
        Login => "login",
        Register => "register",
        Reset => "reset",
        Phone => "phone",
    }
);

text_enum!(
    /// Where a request to join an enterprise's account stands.
    JoinStatus {
        Pending => "pending",
        Approved => "approved",
        Rejected => "rejected",
    }
);
