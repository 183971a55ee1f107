-- One round trip for each half of a verification on PostgreSQL. The statements are those of
-- `store/attempts.rs` (which SQLite runs one by one, in process), in the same order, so the
-- locks are taken in the same order: pair windows, then the account, then sources. Each call
-- is one transaction.

-- Before the secret is checked: refuses (counting nothing) when one of the scopes to check (up
-- to four; NULL for none) is blocked, giving each one's block end; else counts the attempt in
-- each pair window (up to two), refusing at the first over its limit (the account is then not
-- charged), then counts a consecutive failure against the account unless it is at its cap for
-- this context, and reads the credential of a charged attempt.
CREATE FUNCTION guard_charge(
    p_check1 TEXT, p_check2 TEXT, p_check3 TEXT, p_check4 TEXT,
    p_pair1 TEXT, p_pair2 TEXT, p_now BIGINT, p_first_block BIGINT, p_floor BIGINT,
    p_limit BIGINT, p_window BIGINT,
    p_account TEXT, p_kind TEXT, p_untrusted BIGINT, p_max BIGINT, p_untrusted_max BIGINT,
    OUT r_blocked1 BIGINT, OUT r_blocked2 BIGINT, OUT r_blocked3 BIGINT, OUT r_blocked4 BIGINT,
    OUT r_refused_scope TEXT, OUT r_refused_until BIGINT,
    OUT r_pair1_failures BIGINT, OUT r_pair2_failures BIGINT,
    OUT r_charged BOOLEAN, OUT r_failures BIGINT, OUT r_untrusted BIGINT,
    OUT r_phc TEXT, OUT r_pepper_id BIGINT, OUT r_compromised_at BIGINT)
LANGUAGE plpgsql AS $$
DECLARE
    v_scope TEXT;
    v_failures BIGINT;
    v_until BIGINT;
    v_slot INT := 0;
BEGIN
    r_charged := false;
    SELECT max(CASE WHEN scope = p_check1 THEN blocked_until END),
           max(CASE WHEN scope = p_check2 THEN blocked_until END),
           max(CASE WHEN scope = p_check3 THEN blocked_until END),
           max(CASE WHEN scope = p_check4 THEN blocked_until END)
    INTO r_blocked1, r_blocked2, r_blocked3, r_blocked4
    FROM guard_windows
    WHERE blocked_until > p_now AND scope IN (p_check1, p_check2, p_check3, p_check4);
    IF COALESCE(r_blocked1, r_blocked2, r_blocked3, r_blocked4) IS NOT NULL THEN
        RETURN;
    END IF;
    FOREACH v_scope IN ARRAY ARRAY[p_pair1, p_pair2] LOOP
        v_slot := v_slot + 1;
        CONTINUE WHEN v_scope IS NULL;
        INSERT INTO guard_windows (scope, failures, successes, accounts, window_start, blocked_until)
        VALUES (v_scope, 1, 0, 0, p_now, p_first_block)
        ON CONFLICT (scope) DO UPDATE SET
            failures = CASE WHEN guard_windows.window_start <= p_floor THEN 1
                ELSE guard_windows.failures + 1 END,
            window_start = CASE WHEN guard_windows.window_start <= p_floor THEN p_now
                ELSE guard_windows.window_start END,
            blocked_until = CASE WHEN guard_windows.window_start <= p_floor THEN p_first_block
                WHEN guard_windows.failures + 1 >= p_limit THEN guard_windows.window_start + p_window
                ELSE guard_windows.blocked_until END
        RETURNING guard_windows.failures, guard_windows.blocked_until INTO v_failures, v_until;
        IF v_slot = 1 THEN
            r_pair1_failures := v_failures;
        ELSE
            r_pair2_failures := v_failures;
        END IF;
        IF v_failures > p_limit THEN
            r_refused_scope := v_scope;
            r_refused_until := v_until;
            RETURN;
        END IF;
    END LOOP;
    INSERT INTO guard_account_attempts (account_id, kind, failures, untrusted, last_failure_at)
    VALUES (p_account, p_kind, 1, p_untrusted, p_now)
    ON CONFLICT (account_id, kind) DO UPDATE SET
        failures = guard_account_attempts.failures + 1,
        untrusted = guard_account_attempts.untrusted + p_untrusted,
        last_failure_at = p_now
    WHERE guard_account_attempts.failures < p_max
        AND guard_account_attempts.untrusted + p_untrusted <= p_untrusted_max
    RETURNING guard_account_attempts.failures, guard_account_attempts.untrusted
        INTO r_failures, r_untrusted;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    r_charged := true;
    SELECT c.phc, c.pepper_id, c.compromised_at INTO r_phc, r_pepper_id, r_compromised_at
    FROM guard_credentials c WHERE c.account_id = p_account AND c.kind = p_kind;
END
$$;

-- After a right secret: the pair windows (up to two) are forgotten, consecutive failures start
-- again (a known device's success leaves the strangers' count alone), the source and network
-- (up to two, each with the start of its current window) count a success, the device (NULL for
-- none) is remembered, and the verification's event is written.
CREATE FUNCTION guard_success(
    p_pair1 TEXT, p_pair2 TEXT, p_account TEXT, p_kind TEXT, p_known BIGINT,
    p_source1 TEXT, p_floor1 BIGINT, p_source2 TEXT, p_floor2 BIGINT, p_now BIGINT,
    p_device TEXT,
    e_account TEXT, e_kind TEXT, e_outcome TEXT, e_channel TEXT, e_source TEXT, e_network TEXT,
    e_device TEXT, e_detail TEXT)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_scope TEXT;
    v_floor BIGINT;
    v_slot INT;
BEGIN
    DELETE FROM guard_windows WHERE scope IN (p_pair1, p_pair2);
    UPDATE guard_account_attempts SET failures = 0,
        untrusted = CASE WHEN p_known = 1 THEN untrusted ELSE 0 END
    WHERE account_id = p_account AND kind = p_kind;
    FOR v_slot IN 1..2 LOOP
        IF v_slot = 1 THEN
            v_scope := p_source1;
            v_floor := p_floor1;
        ELSE
            v_scope := p_source2;
            v_floor := p_floor2;
        END IF;
        CONTINUE WHEN v_scope IS NULL;
        INSERT INTO guard_windows (scope, failures, successes, accounts, window_start, blocked_until)
        VALUES (v_scope, 0, 1, 0, p_now, 0)
        ON CONFLICT (scope) DO UPDATE SET
            successes = CASE WHEN guard_windows.window_start <= v_floor THEN 1
                ELSE guard_windows.successes + 1 END,
            failures = CASE WHEN guard_windows.window_start <= v_floor THEN 0
                ELSE guard_windows.failures END,
            accounts = CASE WHEN guard_windows.window_start <= v_floor THEN 0
                ELSE guard_windows.accounts END,
            window_start = CASE WHEN guard_windows.window_start <= v_floor THEN p_now
                ELSE guard_windows.window_start END;
    END LOOP;
    IF p_device IS NOT NULL THEN
        INSERT INTO guard_devices (account_id, device_id, first_success_at, last_success_at)
        VALUES (p_account, p_device, p_now, p_now)
        ON CONFLICT (account_id, device_id) DO UPDATE SET
            last_success_at = excluded.last_success_at;
    END IF;
    INSERT INTO guard_events (at, last_at, count, account_id, kind, outcome, channel, source,
        network, device, detail)
    VALUES (p_now, p_now, 1, e_account, e_kind, e_outcome, e_channel, e_source, e_network,
        e_device, e_detail);
END
$$;
