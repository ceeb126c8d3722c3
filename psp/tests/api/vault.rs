//! The vault at rest: card numbers only as AES-256-GCM ciphertext under a named key, nothing but
//! brand and last four in the clear, and keys that rotate without losing older cards.

use kit::on_both_backends;
use kit::testing::Backend;
use psp::configuration::VaultKey;
use psp::testing::{Allowance, b64_key, card, clock, spawn, spawn_on};

const SESSION: &str = "cs_test_vault";

type CardRow = (String, String, String, String, String, String, String);

async fn cards(psp: &psp::testing::TestPsp) -> Vec<CardRow> {
    sqlx::query_as(
        "SELECT id, key_id, ciphertext, fingerprint, brand, last4, cvc_check FROM vault_cards ORDER BY created_at, id",
    )
    .fetch_all(&psp.state.db.read)
    .await
    .expect("cards")
}

async fn card_numbers_are_stored_only_as_ciphertext(backend: Backend) {
    let psp = spawn(backend, clock()).await;
    for number in ["4242424242424242", "378282246310005"] {
        psp.delegate(&card(number), &Allowance::for_session(SESSION, 100))
            .await
            .expect("token");
    }
    // The same card twice: two records, one fingerprint, different ciphertexts (fresh nonces).
    psp.delegate(
        &card("4242424242424242"),
        &Allowance::for_session(SESSION, 100),
    )
    .await
    .expect("token");
    let rows = cards(&psp).await;
    assert_eq!(rows.len(), 3);
    for (id, key_id, ciphertext, fingerprint, brand, last4, cvc_check) in &rows {
        assert_eq!(key_id, "test-key");
        assert_eq!(cvc_check, "pass");
        for number in ["4242424242424242", "378282246310005", "424242", "82246310"] {
            for field in [ciphertext, fingerprint, id] {
                assert!(!field.contains(number), "{field} holds {number}");
            }
        }
        assert!(
            (brand.as_str(), last4.as_str()) == ("visa", "4242")
                || (brand.as_str(), last4.as_str()) == ("amex", "0005")
        );
    }
    let (visa, amex): (Vec<&CardRow>, Vec<&CardRow>) = rows.iter().partition(|r| r.5 == "4242");
    assert_eq!((visa.len(), amex.len()), (2, 1));
    assert_eq!(visa[0].3, visa[1].3, "one card, one fingerprint");
    assert_ne!(visa[0].2, visa[1].2, "fresh nonce, fresh ciphertext");
    assert_ne!(visa[0].3, amex[0].3);

    // The ciphertext opens with the key, and only for its own row.
    let sealed = psp::vault::Sealed {
        key_id: visa[0].1.clone(),
        nonce: sqlx::query_scalar("SELECT nonce FROM vault_cards WHERE id = $1")
            .bind(&visa[0].0)
            .fetch_one(&psp.state.db.read)
            .await
            .expect("nonce"),
        ciphertext: visa[0].2.clone(),
    };
    let opened = psp.state.vault.open(&visa[0].0, &sealed).expect("opens");
    assert_eq!(opened.number, "4242424242424242");
    assert!(psp.state.vault.open(&visa[1].0, &sealed).is_err());
}

async fn keys_rotate_without_losing_older_cards(backend: Backend) {
    let clock = clock();
    let old = spawn(backend, clock.clone()).await;
    let sealed_under_old = old
        .delegate(
            &card("4242424242424242"),
            &Allowance::for_session(SESSION, 1_000),
        )
        .await
        .expect("token");

    // The same database, a new active key, the old one kept.
    let rotated = spawn_on(
        tempfile::tempdir().expect("dir"),
        old.database_url.clone(),
        clock.clone(),
        |s| {
            s.vault.keys.push(VaultKey {
                id: "test-key-2".into(),
                key: b64_key(11),
            });
            s.vault.active_key = "test-key-2".into();
        },
    )
    .await;
    let sealed_under_new = rotated
        .delegate(
            &card("5555555555554444"),
            &Allowance::for_session(SESSION, 1_000),
        )
        .await
        .expect("token");
    let mut key_ids: Vec<String> = cards(&rotated).await.into_iter().map(|r| r.1).collect();
    key_ids.sort();
    assert_eq!(key_ids, ["test-key", "test-key-2"]);
    let pi = rotated
        .redeem(&sealed_under_old, SESSION, 1_000)
        .await
        .expect("an old card still pays");
    assert_eq!(pi.card.last4, "4242");

    // Once the old key is dropped its cards cannot be opened: a clean error, and the token is
    // not used up by the failure.
    let old_dropped = spawn_on(
        tempfile::tempdir().expect("dir"),
        old.database_url.clone(),
        clock.clone(),
        |s| {
            s.vault.keys = vec![VaultKey {
                id: "test-key-2".into(),
                key: b64_key(11),
            }];
            s.vault.active_key = "test-key-2".into();
        },
    )
    .await;
    let orphan = old
        .delegate(
            &card("4242424242424242"),
            &Allowance::for_session(SESSION, 1_000),
        )
        .await
        .expect("token");
    match old_dropped.redeem(&orphan, SESSION, 1_000).await {
        Err(shared::client::PspError::Api { status, error }) => {
            assert_eq!((status, error.code.as_str()), (500, "internal_error"));
        }
        other => panic!("expected an internal error, got {other:?}"),
    }
    let status: String = sqlx::query_scalar("SELECT status FROM payment_tokens WHERE id = $1")
        .bind(&orphan)
        .fetch_one(&old.state.db.read)
        .await
        .expect("token");
    assert_eq!(status, "active");
    old_dropped
        .redeem(&sealed_under_new, SESSION, 1_000)
        .await
        .expect("a new card pays");
}

async fn the_server_refuses_to_start_without_a_usable_vault(backend: Backend) {
    for (what, configure) in [
        (
            "no keys",
            Box::new(|s: &mut psp::configuration::Settings| s.vault.keys.clear())
                as Box<dyn FnOnce(&mut psp::configuration::Settings)>,
        ),
        (
            "active key missing from the ring",
            Box::new(|s: &mut psp::configuration::Settings| s.vault.active_key = "nope".into()),
        ),
        (
            "short key",
            Box::new(|s: &mut psp::configuration::Settings| {
                s.vault.keys[0].key = "c2hvcnQ=".into()
            }),
        ),
    ] {
        let dir = tempfile::tempdir().expect("dir");
        let url = kit::testing::fresh_database(backend, dir.path(), "psp").await;
        let mut settings = psp::testing::settings(&url);
        configure(&mut settings);
        let built = psp::startup::Application::build_with_clock(settings, clock()).await;
        assert!(built.is_err(), "{what}: started anyway");
    }
}

on_both_backends!(
    card_numbers_are_stored_only_as_ciphertext,
    keys_rotate_without_losing_older_cards,
    the_server_refuses_to_start_without_a_usable_vault,
);
