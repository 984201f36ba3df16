//! The tables, as diesel sees them. Written by hand to match both `migrations/sqlite` and
//! `migrations/postgres`; a test compares the two migration sets.

diesel::table! {
    departments (id) {
        id -> Text,
        name -> Text,
        parent_id -> Nullable<Text>,
        head_user_id -> Nullable<Text>,
        created_at -> Text,
        updated_at -> Text,
    }
}

diesel::table! {
    enterprises (id) {
        id -> Text,
        name -> Text,
        credit_code -> Text,
        industry_chain -> Nullable<Text>,
        area -> Nullable<Text>,
        address -> Nullable<Text>,
        contact_name -> Nullable<Text>,
        contact_phone -> Nullable<Text>,
        liaison_cadre_id -> Nullable<Text>,
        search_text -> Text,
        created_at -> Text,
        updated_at -> Text,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        username -> Text,
        password_hash -> Text,
        name -> Text,
        phone -> Nullable<Text>,
        email -> Nullable<Text>,
        role -> Text,
        department_id -> Nullable<Text>,
        enterprise_id -> Nullable<Text>,
        disabled -> Bool,
        created_at -> Text,
        updated_at -> Text,
        notify_email -> Bool,
        notify_sms -> Bool,
        must_change_password -> Bool,
        enterprise_manager -> Bool,
        consented_version -> Nullable<Integer>,
        consented_at -> Nullable<Text>,
    }
}

diesel::table! {
    legal_texts (version) {
        version -> Integer,
        terms -> Text,
        privacy -> Text,
        note -> Text,
        published_by -> Nullable<Text>,
        published_at -> Text,
    }
}

diesel::table! {
    consents (id) {
        id -> Text,
        user_id -> Text,
        version -> Integer,
        accepted_at -> Text,
        ip -> Text,
    }
}

diesel::table! {
    join_requests (id) {
        id -> Text,
        enterprise_id -> Text,
        phone -> Text,
        name -> Text,
        password_hash -> Text,
        consented_version -> Integer,
        status -> Text,
        reason -> Nullable<Text>,
        decided_by -> Nullable<Text>,
        decided_at -> Nullable<Text>,
        user_id -> Nullable<Text>,
        created_at -> Text,
        ip -> Text,
    }
}

diesel::table! {
    categories (id) {
        id -> Text,
        name -> Text,
        default_department_id -> Nullable<Text>,
        deadline_days -> Integer,
        disabled -> Bool,
        created_at -> Text,
        updated_at -> Text,
    }
}

diesel::table! {
    tickets (id) {
        id -> Text,
        number -> Text,
        kind -> Text,
        status -> Text,
        title -> Text,
        description -> Text,
        search_text -> Text,
        category_id -> Text,
        enterprise_id -> Text,
        submitter_id -> Text,
        channel -> Text,
        contact_name -> Nullable<Text>,
        contact_phone -> Nullable<Text>,
        department_id -> Nullable<Text>,
        assignee_id -> Nullable<Text>,
        co_department_ids -> Text,
        due_at -> Nullable<Text>,
        reopen_count -> Integer,
        rating -> Nullable<Text>,
        resolution -> Nullable<Text>,
        adopted -> Nullable<Bool>,
        version -> Integer,
        created_at -> Text,
        updated_at -> Text,
        accepted_at -> Nullable<Text>,
        assigned_at -> Nullable<Text>,
        signed_at -> Nullable<Text>,
        resolved_at -> Nullable<Text>,
        closed_at -> Nullable<Text>,
        rejected_at -> Nullable<Text>,
        withdrawn_at -> Nullable<Text>,
        priority -> Text,
        sign_due_at -> Nullable<Text>,
        extension_count -> Integer,
        reminded_at -> Nullable<Text>,
        sign_reminded_at -> Nullable<Text>,
        overdue_at -> Nullable<Text>,
        escalation_level -> Integer,
        no_response -> Bool,
        handling_days -> Nullable<Integer>,
        extension_pending -> Bool,
        merged_into_id -> Nullable<Text>,
        merged_at -> Nullable<Text>,
    }
}

diesel::table! {
    ticket_co_departments (ticket_id, department_id) {
        ticket_id -> Text,
        department_id -> Text,
    }
}

diesel::table! {
    ticket_events (ticket_id, seq) {
        id -> Text,
        ticket_id -> Text,
        seq -> Integer,
        actor_id -> Nullable<Text>,
        actor_role -> Nullable<Text>,
        action -> Text,
        from_status -> Nullable<Text>,
        to_status -> Text,
        note -> Nullable<Text>,
        public -> Bool,
        data -> Nullable<Text>,
        created_at -> Text,
    }
}

diesel::table! {
    comments (id) {
        id -> Text,
        ticket_id -> Text,
        author_id -> Text,
        body -> Text,
        internal -> Bool,
        created_at -> Text,
    }
}

diesel::table! {
    revisits (id) {
        id -> Text,
        ticket_id -> Text,
        rating -> Text,
        comment -> Nullable<Text>,
        channel -> Text,
        recorded_by -> Text,
        created_at -> Text,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Text,
        user_id -> Text,
        family_id -> Text,
        token_hash -> Text,
        expires_at -> Text,
        created_at -> Text,
        revoked_at -> Nullable<Text>,
        replaced_by -> Nullable<Text>,
    }
}

diesel::table! {
    idempotency_keys (user_id, key) {
        user_id -> Text,
        key -> Text,
        request_hash -> Text,
        ticket_id -> Text,
        created_at -> Text,
    }
}

diesel::table! {
    ticket_counters (day) {
        day -> Text,
        last_value -> Integer,
    }
}

diesel::table! {
    notifications (id) {
        id -> Text,
        channel -> Text,
        recipient -> Text,
        recipient_name -> Nullable<Text>,
        user_id -> Nullable<Text>,
        ticket_id -> Nullable<Text>,
        event -> Text,
        event_seq -> Nullable<Integer>,
        subject -> Nullable<Text>,
        body -> Text,
        html_body -> Nullable<Text>,
        template_code -> Nullable<Text>,
        template_params -> Nullable<Text>,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Text,
        lease_token -> Nullable<Text>,
        last_error -> Nullable<Text>,
        provider_message_id -> Nullable<Text>,
        created_at -> Text,
        updated_at -> Text,
        sent_at -> Nullable<Text>,
    }
}

diesel::table! {
    calendar_years (year) {
        year -> Integer,
        content -> Text,
        loaded_by -> Nullable<Text>,
        loaded_at -> Text,
    }
}

diesel::table! {
    extensions (id) {
        id -> Text,
        ticket_id -> Text,
        requested_by -> Text,
        working_days -> Integer,
        reason -> Text,
        status -> Text,
        due_before -> Nullable<Text>,
        due_after -> Nullable<Text>,
        decided_by -> Nullable<Text>,
        decision_reason -> Nullable<Text>,
        created_at -> Text,
        decided_at -> Nullable<Text>,
    }
}

diesel::table! {
    attachments (id) {
        id -> Text,
        uploaded_by -> Text,
        ticket_id -> Nullable<Text>,
        comment_id -> Nullable<Text>,
        file_name -> Text,
        content_type -> Text,
        size -> BigInt,
        sha256 -> Text,
        created_at -> Text,
        event_seq -> Nullable<Integer>,
        visit_id -> Nullable<Text>,
        policy_id -> Nullable<Text>,
    }
}

diesel::table! {
    sms_codes (id) {
        id -> Text,
        phone -> Text,
        purpose -> Text,
        code_hash -> Text,
        attempts -> Integer,
        created_at -> Text,
        expires_at -> Text,
        used_at -> Nullable<Text>,
    }
}

diesel::table! {
    auth_failures (id) {
        id -> Text,
        key -> Text,
        at -> Text,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Text,
        at -> Text,
        actor_id -> Nullable<Text>,
        actor_role -> Text,
        ip -> Text,
        action -> Text,
        target_type -> Text,
        target_id -> Nullable<Text>,
        detail -> Nullable<Text>,
    }
}

diesel::table! {
    messages (id) {
        id -> Text,
        user_id -> Text,
        ticket_id -> Nullable<Text>,
        event -> Text,
        event_seq -> Nullable<Integer>,
        title -> Text,
        body -> Text,
        created_at -> Text,
        read_at -> Nullable<Text>,
        policy_id -> Nullable<Text>,
        application_id -> Nullable<Text>,
    }
}

diesel::table! {
    /// A ticket's searchable words (migration `ticket_words`; src/db/ticket_words.rs). `id`
    /// is SQLite's FTS5 rowid; PostgreSQL also has a generated `tsv` column, left out here
    /// (only SQL written in ticket_words.rs reads it).
    ticket_words (id) {
        id -> BigInt,
        ticket_id -> Text,
        words -> Text,
    }
}

diesel::table! {
    /// SQLite only: the FTS5 index of `ticket_words` (external content, rowid = its `id`).
    ticket_words_fts (rowid) {
        rowid -> BigInt,
        words -> Text,
    }
}

diesel::table! {
    /// The administrator's lists: policy fields and enterprise qualifications (migration
    /// `policies`).
    policy_terms (id) {
        id -> Text,
        kind -> Text,
        name -> Text,
        position -> Integer,
        active -> Bool,
        created_at -> Text,
    }
}

diesel::table! {
    policies (id) {
        id -> Text,
        status -> Text,
        department_id -> Text,
        field_id -> Text,
        title -> Text,
        free_grant -> Bool,
        expires_on -> Nullable<Text>,
        content -> Text,
        words -> Text,
        version -> Integer,
        revision -> Integer,
        created_by -> Text,
        created_at -> Text,
        updated_at -> Text,
        published_at -> Nullable<Text>,
        withdrawn_at -> Nullable<Text>,
        withdraw_reason -> Nullable<Text>,
        push_state -> Text,
        pushed_at -> Nullable<Text>,
    }
}

diesel::table! {
    policy_versions (policy_id, version) {
        policy_id -> Text,
        version -> Integer,
        title -> Text,
        content -> Text,
        note -> Text,
        published_by -> Text,
        published_at -> Text,
    }
}

diesel::table! {
    enterprise_traits (enterprise_id) {
        enterprise_id -> Text,
        scale -> Nullable<Text>,
        size -> Nullable<Text>,
        qualification_ids -> Nullable<Text>,
        employees -> Nullable<Integer>,
        revenue_band -> Nullable<Text>,
        founded_on -> Nullable<Text>,
        verified -> Bool,
        updated_by -> Nullable<Text>,
        updated_at -> Text,
        verified_by -> Nullable<Text>,
        verified_at -> Nullable<Text>,
        recheck -> Bool,
    }
}

diesel::table! {
    policy_pushes (policy_id, enterprise_id) {
        policy_id -> Text,
        enterprise_id -> Text,
        fit -> Text,
        pushed_at -> Text,
    }
}

diesel::table! {
    visit_policies (visit_id, policy_id) {
        visit_id -> Text,
        policy_id -> Text,
    }
}

diesel::table! {
    policy_questions (ticket_id) {
        ticket_id -> Text,
        policy_id -> Text,
    }
}

diesel::table! {
    policy_applications (id) {
        id -> Text,
        policy_id -> Text,
        policy_version -> Integer,
        enterprise_id -> Text,
        status -> Text,
        channel -> Text,
        statement -> Text,
        requested_fen -> Nullable<BigInt>,
        approved_fen -> Nullable<BigInt>,
        paid_fen -> Nullable<BigInt>,
        refusal_reason -> Nullable<Text>,
        created_by -> Text,
        created_at -> Text,
        updated_at -> Text,
        decided_at -> Nullable<Text>,
        paid_at -> Nullable<Text>,
    }
}

diesel::table! {
    policy_application_events (application_id, seq) {
        application_id -> Text,
        seq -> Integer,
        action -> Text,
        actor_id -> Nullable<Text>,
        note -> Nullable<Text>,
        amount_fen -> Nullable<BigInt>,
        at -> Text,
    }
}

diesel::joinable!(ticket_words -> tickets (ticket_id));

diesel::table! {
    systemic_issues (id) {
        id -> Text,
        title -> Text,
        analysis -> Text,
        measures -> Text,
        lead_department_id -> Text,
        status -> Text,
        created_by -> Text,
        version -> Integer,
        created_at -> Text,
        updated_at -> Text,
        solved_at -> Nullable<Text>,
    }
}

diesel::table! {
    systemic_issue_tickets (issue_id, ticket_id) {
        issue_id -> Text,
        ticket_id -> Text,
        enterprise_id -> Text,
        linked_by -> Text,
        linked_at -> Text,
    }
}

diesel::joinable!(systemic_issue_tickets -> systemic_issues (issue_id));
diesel::joinable!(systemic_issue_tickets -> tickets (ticket_id));

diesel::joinable!(tickets -> enterprises (enterprise_id));
diesel::joinable!(tickets -> categories (category_id));
diesel::joinable!(ticket_events -> tickets (ticket_id));
diesel::joinable!(comments -> tickets (ticket_id));
diesel::joinable!(revisits -> tickets (ticket_id));
diesel::joinable!(ticket_co_departments -> tickets (ticket_id));

diesel::allow_tables_to_appear_in_same_query!(
    departments,
    enterprises,
    users,
    categories,
    tickets,
    ticket_co_departments,
    ticket_events,
    comments,
    revisits,
    refresh_tokens,
    idempotency_keys,
    ticket_counters,
    notifications,
    messages,
    calendar_years,
    extensions,
    attachments,
    sms_codes,
    auth_failures,
    audit_log,
    legal_texts,
    consents,
    join_requests,
    ticket_words,
    ticket_words_fts,
    systemic_issues,
    systemic_issue_tickets,
    hot_words,
    hot_days,
    daily_checks,
    daily_check_days,
    assessments,
    bulletins,
    robot_posts,
    visits,
    visit_tickets,
    enterprise_deputies,
    campaigns,
    policy_terms,
    policies,
    policy_versions,
    enterprise_traits,
    policy_pushes,
    visit_policies,
    policy_questions,
    policy_applications,
    policy_application_events,
);

diesel::table! {
    stats_cube (dims, grain, period, department_id, a, b) {
        dims -> Text,
        grain -> Text,
        period -> Text,
        department_id -> Text,
        a -> Text,
        b -> Text,
        counts -> Binary,
    }
}

diesel::table! {
    stats_journal (id) {
        id -> BigInt,
        ticket_id -> Text,
        before_facts -> Nullable<Text>,
    }
}

diesel::table! {
    stats_state (id) {
        id -> Integer,
        rebuilt_at -> Text,
    }
}

diesel::table! {
    assessments (month, version) {
        month -> Text,
        version -> Integer,
        figures -> Text,
        workbook -> Binary,
        note -> Nullable<Text>,
        published_by -> Nullable<Text>,
        published_at -> Text,
    }
}

diesel::table! {
    bulletins (id) {
        id -> Text,
        period_from -> Text,
        period_to -> Text,
        status -> Text,
        foreword -> Text,
        cases -> Text,
        figures -> Text,
        year -> Nullable<Integer>,
        number -> Nullable<Integer>,
        document -> Nullable<Binary>,
        workbook -> Nullable<Binary>,
        version -> Integer,
        drafted_by -> Nullable<Text>,
        drafted_at -> Text,
        updated_at -> Text,
        published_by -> Nullable<Text>,
        published_at -> Nullable<Text>,
    }
}

diesel::table! {
    visits (id) {
        id -> Text,
        enterprise_id -> Text,
        cadre_id -> Text,
        department_id -> Nullable<Text>,
        visited_on -> Text,
        method -> Text,
        people -> Text,
        findings -> Text,
        created_at -> Text,
    }
}

diesel::table! {
    visit_tickets (visit_id, ticket_id) {
        visit_id -> Text,
        ticket_id -> Text,
    }
}

diesel::joinable!(visit_tickets -> visits (visit_id));

diesel::table! {
    enterprise_deputies (enterprise_id, cadre_id) {
        enterprise_id -> Text,
        cadre_id -> Text,
    }
}

diesel::table! {
    campaigns (id) {
        id -> Text,
        title -> Text,
        starts_on -> Text,
        ends_on -> Text,
        target_percent -> Integer,
        area -> Nullable<Text>,
        industry_chain -> Nullable<Text>,
        note -> Text,
        created_by -> Text,
        created_at -> Text,
    }
}

diesel::table! {
    robot_posts (robot, post) {
        robot -> Text,
        post -> Text,
        created_at -> Text,
    }
}

diesel::table! {
    daily_checks (day, user_id) {
        day -> Text,
        user_id -> Text,
        summary -> Text,
        created_at -> Text,
    }
}

diesel::table! {
    daily_check_days (day) {
        day -> Text,
        finished_at -> Text,
        digests -> Integer,
    }
}

diesel::joinable!(daily_checks -> users (user_id));

diesel::table! {
    hot_words (dim, value, day, word) {
        dim -> Text,
        value -> Text,
        day -> Text,
        word -> Text,
        tickets -> Integer,
    }
}

diesel::table! {
    hot_days (day) {
        day -> Text,
        tickets -> Integer,
        counted_at -> Text,
    }
}

diesel::table! {
    notice_queue (id) {
        id -> BigInt,
        ticket_id -> Text,
        event_seq -> Integer,
        department_id -> Nullable<Text>,
        assignee_id -> Nullable<Text>,
        escalation_level -> Integer,
        queued_at -> Text,
    }
}

diesel::joinable!(enterprise_traits -> enterprises (enterprise_id));
diesel::joinable!(visit_policies -> visits (visit_id));
