//! The card's whole path as a buyer gives it: typed into the chat or the card form, to the
//! agent, to the PSP. After purchases with approving, declining, 3-D Secure and mistyped cards,
//! no card number or CVC may be in any log line (at TRACE) of the agent, merchant or PSP, in
//! any text cell or file of the agent's database, in its search index, or in the merchant's
//! database; the PSP's vault holds them sealed.

#[path = "api/helpers.rs"]
#[allow(dead_code)]
mod helpers;

use helpers::world;
use kit::on_both_backends;
use kit::testing::Backend;
use kit::testing::leaks::{Secrets, capture_logs, files_under, raw_files, text_cells};

/// Cards given in the chat, with unusual CVCs so that a hit means a leak.
const TYPED: &[(&str, &str)] = &[
    ("4000 0000 0000 9995", "731"),
    ("4242-4242-4242-4242", "738"),
];
/// Cards given through the card form.
const FORM: &[(&str, &str)] = &[("4000000000003220", "736"), ("5555555555554444", "734")];
/// Mistyped: refused by the agent before anything is sent.
const MISTYPED: (&str, &str) = ("4242424242424241", "7395");

fn digits(n: &str) -> String {
    n.chars().filter(char::is_ascii_digit).collect()
}

async fn ready(buyer: &mut helpers::Buyer<'_>) {
    buyer.say("northpeak daily trainer running shoes").await;
    buyer.say("the first one").await;
    buyer.say("white size 10").await;
    buyer
        .say("buy it, ship to Jane Doe, 500 Congress Ave, Austin, TX 78701, jane@example.com")
        .await;
    assert_eq!(buyer.state["checkout"]["status"], "ready_for_payment");
}

async fn no_card_data_leaves_the_psp(backend: Backend) {
    let logs = capture_logs();
    let world = world(backend).await;

    let mut buyer = world.buyer().await;
    ready(&mut buyer).await;
    let (n, c) = MISTYPED;
    let said = buyer.say(&format!("{n} 12/30 {c}")).await;
    assert!(said.contains("can't use that card"), "{said}");
    let (n, c) = TYPED[0];
    let said = buyer.say(&format!("pay with {n} exp 12/30 cvc {c}")).await;
    assert!(said.contains("didn't go through"), "{said}");
    let (n, c) = TYPED[1];
    let said = buyer.say(&format!("{n} 12/30 {c}")).await;
    assert!(said.contains("Done! Order"), "{said}");

    let mut buyer = world.buyer().await;
    ready(&mut buyer).await;
    let (n, c) = FORM[0];
    let said = buyer.card_with(n, c).await;
    assert!(said.contains("Your bank wants you to confirm"), "{said}");
    let challenge = buyer.state["challenge_url"]
        .as_str()
        .expect("3-D Secure asks")
        .to_owned();
    world
        .psp
        .answer_challenge(&challenge, psp::testing::Challenge::Pass)
        .await;
    let said = buyer.say("done").await;
    assert!(said.contains("Done! Order"), "{said}");
    let (n, c) = FORM[1];
    let mut buyer = world.buyer().await;
    ready(&mut buyer).await;
    let said = buyer.card_with(n, c).await;
    assert!(said.contains("Done! Order"), "{said}");

    let all: Vec<(&str, &str)> = TYPED
        .iter()
        .chain(FORM)
        .copied()
        .chain([MISTYPED])
        .collect();
    let secrets = Secrets {
        numbers: all.iter().map(|(n, _)| digits(n)).collect(),
        cvcs: all.iter().map(|(_, c)| (*c).to_owned()).collect(),
    };
    // The search finds what it looks for.
    assert!(secrets.find_in(b"x 4000000000003220 y").is_some());
    assert!(secrets.find_in(br#"{"cvc": "736"}"#).is_some());

    let logged = logs.bytes();
    assert!(
        String::from_utf8_lossy(&logged).contains("payment delegated"),
        "the capture works"
    );
    if let Some(leak) = secrets.find_in(&logged) {
        panic!("the logs hold a {leak}");
    }
    for (service, url, dir) in [
        ("agent", &world.agent.database_url, world.agent.dir.path()),
        (
            "merchant",
            &world.merchant.database_url,
            world.merchant.dir.path(),
        ),
    ] {
        let cells = text_cells(url, backend).await;
        assert!(
            cells
                .iter()
                .any(|(c, _)| c.starts_with("conversation") || c.starts_with("checkout"))
        );
        if let Some(leak) = secrets.find_in_cells(&cells) {
            panic!("{service}: {leak}");
        }
        if let Some(leak) = secrets.find_in_files(&raw_files(url, dir, backend).await) {
            panic!("{service}: {leak}");
        }
    }
    // The agent's search index (in its folder on both backends).
    if let Some(leak) = secrets.find_in_files(&files_under(&world.agent.dir.path().join("index"))) {
        panic!("the search index: {leak}");
    }
}

on_both_backends!(no_card_data_leaves_the_psp);
