//! Diesel's view of the tables. Kept by hand to match both `migrations/sqlite` and
//! `migrations/postgres`; `tests/schema.rs` fails when either backend drifts from it.

diesel::table! {
    institutions (id) {
        id -> BigInt,
        tenant_id -> Text,
        acronym -> Text,
        name -> Text,
        external_ic -> Bool,
        mail_domain -> Nullable<Text>,
        disable_vle_learner_creation -> Bool,
        disable_vle_instructor_creation -> Bool,
        disable_vle_user_creation -> Bool,
        allow_learner_report -> Bool,
        allow_learner_audit -> Bool,
        allow_valid_audit -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    org_units (id) {
        id -> BigInt,
        institution_id -> BigInt,
        type_id -> BigInt,
        parent_id -> Nullable<BigInt>,
        name -> Text,
        code -> Nullable<Text>,
        path -> Nullable<Text>,
        description_text -> Nullable<Text>,
        description_html -> Nullable<Text>,
        is_active -> Bool,
        can_self_register -> Bool,
        start_date -> Nullable<Timestamp>,
        end_date -> Nullable<Timestamp>,
        locale_id -> Nullable<BigInt>,
        force_locale -> Bool,
        show_address_book -> Bool,
        course_template_id -> Nullable<BigInt>,
        semester_id -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        institution_id -> BigInt,
        user_name -> Text,
        user_name_key -> Text,
        first_name -> Text,
        middle_name -> Nullable<Text>,
        last_name -> Text,
        external_email -> Nullable<Text>,
        org_defined_id -> Nullable<Text>,
        pronouns -> Nullable<Text>,
        is_active -> Bool,
        last_accessed -> Nullable<Timestamp>,
        created_at -> Timestamp,
        password_hash -> Nullable<Text>,
    }
}

diesel::table! {
    roles (id) {
        id -> BigInt,
        institution_id -> BigInt,
        name -> Text,
        code -> Text,
        is_cascading -> Bool,
        can_be_auto_enrolled -> Bool,
    }
}

diesel::table! {
    role_permissions (role_id, permission) {
        role_id -> BigInt,
        permission -> Text,
    }
}

diesel::table! {
    enrollments (user_id, org_unit_id) {
        user_id -> BigInt,
        org_unit_id -> BigInt,
        institution_id -> BigInt,
        role_id -> BigInt,
        is_cascading -> Bool,
        created_at -> Timestamp,
        enrolled_by_user_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    oauth_clients (client_id) {
        client_id -> Text,
        institution_id -> BigInt,
        user_id -> BigInt,
        name -> Text,
        secret_hash -> Text,
        scope -> Text,
        revoked_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        grant_type -> Text,
        redirect_uris -> Text,
        access_token_lifetime -> Nullable<BigInt>,
        issues_refresh_tokens -> Bool,
        prompts_consent -> Bool,
        jwks -> Nullable<Text>,
    }
}

diesel::table! {
    oauth_assertion_jtis (client_id, jti) {
        client_id -> Text,
        jti -> Text,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    oauth_grants (id) {
        id -> BigInt,
        client_id -> Text,
        user_id -> BigInt,
        institution_id -> BigInt,
        scope -> Text,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    oauth_codes (code_hash) {
        code_hash -> Text,
        client_id -> Text,
        user_id -> BigInt,
        redirect_uri -> Text,
        scope -> Text,
        code_challenge -> Nullable<Text>,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        grant_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    oauth_refresh_tokens (token_hash) {
        token_hash -> Text,
        grant_id -> BigInt,
        created_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    id_key_apps (app_id) {
        app_id -> Text,
        institution_id -> BigInt,
        name -> Text,
        app_key -> Text,
        scope -> Text,
        trusted_url -> Nullable<Text>,
        revoked_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    id_key_users (key_user_id) {
        key_user_id -> Text,
        app_id -> Text,
        user_id -> BigInt,
        user_key -> Text,
        revoked_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    signing_keys (kid) {
        kid -> Text,
        institution_id -> BigInt,
        private_key_pem -> Text,
        modulus -> Text,
        exponent -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    group_categories (id) {
        id -> BigInt,
        course_id -> BigInt,
        institution_id -> BigInt,
        name -> Text,
        description_text -> Text,
        description_html -> Text,
        enrollment_style -> BigInt,
        enrollment_quantity -> Nullable<BigInt>,
        number_of_groups -> Nullable<BigInt>,
        max_users_per_group -> Nullable<BigInt>,
        auto_enroll -> Bool,
        randomize_enrollments -> Bool,
        allocate_after_expiry -> Bool,
        self_enrollment_expiry_date -> Nullable<Timestamp>,
        group_prefix -> Nullable<Text>,
        restricted_by_org_unit_id -> Nullable<BigInt>,
        descriptions_visible -> Bool,
        status -> BigInt,
        submitted_at -> Timestamp,
        updated_at -> Timestamp,
        self_enrollment_start_date -> Nullable<Timestamp>,
    }
}

diesel::table! {
    category_groups (group_id) {
        group_id -> BigInt,
        category_id -> BigInt,
    }
}

diesel::table! {
    jobs (id) {
        id -> BigInt,
        kind -> Text,
        category_id -> BigInt,
        run_at -> Timestamp,
        attempts -> BigInt,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        dead_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    vles (id) {
        id -> BigInt,
        institution_id -> BigInt,
        kind -> BigInt,
        lti -> Text,
        name -> Text,
        name_key -> Text,
        url -> Text,
        client_id -> Text,
        user_id -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(org_units -> institutions (institution_id));
diesel::joinable!(users -> institutions (institution_id));
diesel::joinable!(roles -> institutions (institution_id));
diesel::joinable!(role_permissions -> roles (role_id));
diesel::joinable!(enrollments -> users (user_id));
diesel::joinable!(enrollments -> org_units (org_unit_id));
diesel::joinable!(enrollments -> roles (role_id));
diesel::table! {
    sessions (id) {
        id -> Text,
        secret_hash -> Text,
        user_id -> BigInt,
        institution_id -> BigInt,
        csrf_token -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    sign_in_failures (id) {
        id -> BigInt,
        throttle_key -> Text,
        failed_at -> Timestamp,
    }
}

diesel::joinable!(oauth_clients -> users (user_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(oauth_grants -> oauth_clients (client_id));
diesel::joinable!(oauth_assertion_jtis -> oauth_clients (client_id));
diesel::joinable!(oauth_refresh_tokens -> oauth_grants (grant_id));
diesel::joinable!(signing_keys -> institutions (institution_id));
diesel::joinable!(id_key_apps -> institutions (institution_id));
diesel::joinable!(id_key_users -> id_key_apps (app_id));
diesel::joinable!(id_key_users -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    institutions,
    org_units,
    users,
    roles,
    role_permissions,
    enrollments,
    oauth_clients,
    oauth_assertion_jtis,
    id_key_apps,
    id_key_users,
    signing_keys,
    section_settings,
    group_categories,
    category_groups,
    jobs,
    vles,
    sessions,
    sign_in_failures,
    oauth_grants,
    oauth_codes,
    oauth_refresh_tokens,
    membership_changes,
    change_log,
    rate_buckets,
);

diesel::table! {
    membership_changes (id) {
        id -> BigInt,
        course_id -> BigInt,
        org_unit_id -> BigInt,
        user_id -> BigInt,
        change -> Text,
        by_user_id -> Nullable<BigInt>,
        via -> Text,
        client_id -> Nullable<Text>,
        changed_at -> Timestamp,
    }
}

diesel::table! {
    section_settings (org_unit_id) {
        org_unit_id -> BigInt,
        institution_id -> BigInt,
        name -> Text,
        description_text -> Text,
        description_html -> Text,
        enrollment_style -> BigInt,
        enrollment_quantity -> BigInt,
        auto_enroll -> Bool,
        randomize_enrollments -> Bool,
        descriptions_visible -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(category_groups -> group_categories (category_id));
diesel::joinable!(jobs -> group_categories (category_id));
diesel::joinable!(category_groups -> org_units (group_id));

diesel::table! {
    change_log (seq) {
        seq -> BigInt,
        instance -> BigInt,
        touched -> Text,
    }
}

diesel::table! {
    rate_buckets (bucket) {
        bucket -> Text,
        tat_us -> BigInt,
    }
}
