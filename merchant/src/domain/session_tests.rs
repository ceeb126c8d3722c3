//! Properties of the session state machine, checked over random sequences of operations.

use std::collections::HashMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;

use super::party::{Address, Buyer, FulfillmentDetails};
use super::session::{
    self, Context, CreateCommand, Hold, HoldOutcome, Patch, RequestedItem, Session, Status,
    UpdateCommand,
};
use crate::catalog::{Catalog, DEMO_SEED, SeedFile};

/// Inventory with the same rule as the SQL: a take succeeds only if enough units are free.
#[derive(Debug, Default)]
struct Inventory(HashMap<String, (i64, i64)>);

impl Inventory {
    fn apply(&mut self, holds: &[Hold]) -> Vec<HoldOutcome> {
        holds
            .iter()
            .map(|h| {
                let (on_hand, reserved) = self.0.get_mut(&h.variant_id).expect("known variant");
                let granted = h.delta < 0 || *on_hand - *reserved >= h.delta;
                if granted {
                    *reserved += h.delta;
                }
                assert!(*reserved >= 0, "released more than held");
                HoldOutcome {
                    variant_id: h.variant_id.clone(),
                    granted,
                    available: u32::try_from(*on_hand - *reserved).unwrap_or(0),
                }
            })
            .collect()
    }
}

#[derive(Debug, Clone)]
enum Op {
    Create(Vec<usize>),
    SetItems(usize, Vec<usize>),
    SetAddress(usize, Option<&'static str>),
    Cancel(usize),
    Wait(i64),
    Expire,
}

fn op() -> impl Strategy<Value = Op> {
    let items = prop::collection::vec(0usize..6, 0..6);
    prop_oneof![
        3 => items.clone().prop_map(Op::Create),
        3 => (0usize..4, items).prop_map(|(s, i)| Op::SetItems(s, i)),
        2 => (0usize..4, prop::option::of(prop::sample::select(vec!["CA", "TX", "HI", "Narnia"])))
            .prop_map(|(s, a)| Op::SetAddress(s, a)),
        1 => (0usize..4).prop_map(Op::Cancel),
        1 => (1i64..2000).prop_map(Op::Wait),
        1 => Just(Op::Expire),
    ]
}

fn address(state: &str) -> FulfillmentDetails {
    FulfillmentDetails {
        name: Some("Jane".into()),
        phone_number: None,
        email: None,
        address: Some(Address {
            name: "Jane".into(),
            line_one: "1 Main St".into(),
            line_two: None,
            city: "Town".into(),
            state: state.into(),
            country: "US".into(),
            postal_code: "12345".into(),
            company: None,
        }),
    }
}

fn items(catalog_variants: &[String], picks: &[usize]) -> Vec<RequestedItem> {
    picks
        .iter()
        .map(|i| RequestedItem {
            id: catalog_variants[*i].clone(),
            unit_amount: None,
        })
        .collect()
}

fn check_invariants(sessions: &[Session], inv: &Inventory) {
    let mut held: HashMap<&str, i64> = HashMap::new();
    for s in sessions {
        for l in &s.lines {
            assert!(l.reserved <= l.quantity, "a line holds more than it wants");
            if s.status.is_terminal() {
                assert_eq!(l.reserved, 0, "a finished session holds nothing");
            }
            *held.entry(&l.variant_id).or_default() += i64::from(l.reserved);
        }
        if s.status == Status::ReadyForPayment {
            assert!(s.lines.iter().all(|l| l.reserved == l.quantity));
            assert!(!s.messages.iter().any(|m| m.is_blocking()));
            assert!(s.totals.tax.is_some());
        }
        let t = &s.totals;
        assert_eq!(t.items_base - t.items_discount, t.subtotal);
        assert_eq!(
            t.subtotal + t.fulfillment.unwrap_or(0) + t.tax.as_ref().map_or(0, |x| x.amount),
            t.total
        );
    }
    for (variant, (on_hand, reserved)) in &inv.0 {
        assert!(
            0 <= *reserved && reserved <= on_hand,
            "{variant}: {reserved}/{on_hand}"
        );
        assert_eq!(
            *reserved,
            held.get(variant.as_str()).copied().unwrap_or(0),
            "{variant}"
        );
    }
}

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0)
        .single()
        .expect("valid")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Whatever agents do, inventory matches the holds of open sessions, nothing is oversold,
    /// finished sessions stay finished and hold nothing, and a payable session is whole.
    #[test]
    fn state_machine_invariants(stock in prop::collection::vec(0i64..4, 6), ops in prop::collection::vec(op(), 1..40)) {
        let seed = SeedFile::parse(DEMO_SEED).expect("valid");
        let catalog = Catalog::from_seed(seed);
        let variants: Vec<String> = catalog
            .products()
            .iter()
            .filter(|p| !p.digital && p.max_quantity_per_order >= 3)
            .take(6)
            .map(|p| p.variants[0].id.clone())
            .collect();
        let mut inv = Inventory(variants.iter().cloned().zip(stock.iter().map(|s| (*s, 0))).collect());
        let mut now = start();
        let mut sessions: Vec<Session> = Vec::new();
        let mut next_id = 0;
        let mut line_id = || { next_id += 1; format!("li_{next_id}") };

        for op in ops {
            let ctx = Context { catalog: &catalog, now };
            match op {
                Op::Create(picks) => {
                    let cmd = CreateCommand {
                        currency: "usd".into(),
                        items: items(&variants, &picks),
                        buyer: Some(Buyer { email: "a@b.co".into(), first_name: None, last_name: None, full_name: None, phone_number: None, customer_id: None, account_type: None, authentication_status: None, company: None, loyalty: None, tax_exemption: None }),
                        fulfillment: None,
                        interventions_supported: vec![],
                        discount_codes: vec![],
                        fulfillment_groups_sent: false,
                        locale: None, timezone: None, quote_id: None, metadata: None, order_notes: None,
                    };
                    match session::create(format!("cs_{}", sessions.len()), "agent".into(), cmd, &ctx, Duration::seconds(3600), &mut line_id) {
                        Ok(mut s) => {
                            prop_assert!(!picks.is_empty());
                            let outcomes = inv.apply(&session::holds(&s));
                            session::apply_outcomes(&mut s, &outcomes);
                            session::evaluate(&mut s, Patch::Keep, &ctx).expect("keep never fails");
                            sessions.push(s);
                        }
                        Err(_) => prop_assert!(picks.is_empty()),
                    }
                }
                Op::SetItems(i, _) | Op::SetAddress(i, _) if i >= sessions.len() => {}
                Op::SetItems(i, picks) => {
                    let s = &mut sessions[i];
                    let before = s.clone();
                    if session::ensure_open(s).is_err() { continue; }
                    let cmd = UpdateCommand { items: Some(items(&variants, &picks)), ..Default::default() };
                    match session::update(s, cmd, &ctx, &mut line_id) {
                        Ok((mut holds, sel)) => {
                            holds.extend(session::holds(s));
                            holds.sort_by(|a, b| a.variant_id.cmp(&b.variant_id));
                            let outcomes = inv.apply(&holds);
                            session::apply_outcomes(s, &outcomes);
                            session::evaluate(s, sel, &ctx).expect("no selection requested");
                        }
                        Err(_) => { prop_assert!(picks.is_empty()); *s = before; }
                    }
                }
                Op::SetAddress(i, state) => {
                    let s = &mut sessions[i];
                    if session::ensure_open(s).is_err() { continue; }
                    let cmd = UpdateCommand {
                        fulfillment: state.map_or(Patch::Clear, |st| Patch::Set(address(st))),
                        ..Default::default()
                    };
                    let (holds, sel) = session::update(s, cmd, &ctx, &mut line_id).expect("no items");
                    prop_assert!(holds.is_empty());
                    let outcomes = inv.apply(&session::holds(s));
                    session::apply_outcomes(s, &outcomes);
                    session::evaluate(s, sel, &ctx).expect("no selection requested");
                }
                Op::Cancel(i) if i < sessions.len() => {
                    let s = &mut sessions[i];
                    let was_terminal = s.status.is_terminal();
                    match session::cancel(s, now) {
                        Ok(holds) => { prop_assert!(!was_terminal); inv.apply(&holds); }
                        Err(_) => prop_assert!(was_terminal),
                    }
                    prop_assert!(s.status.is_terminal());
                }
                Op::Cancel(_) => {}
                Op::Wait(secs) => now += Duration::seconds(secs),
                Op::Expire => {
                    for s in &mut sessions {
                        let was = s.status;
                        let holds = session::expire(s, now);
                        inv.apply(&holds);
                        if was.is_terminal() { prop_assert_eq!(s.status, was); }
                        if now >= s.expires_at { prop_assert!(s.status.is_terminal()); }
                    }
                }
            }
            check_invariants(&sessions, &inv);
        }
    }
}

#[test]
fn cancel_and_expire_are_terminal_and_idempotent_in_effect() {
    let catalog = Catalog::from_seed(SeedFile::parse(DEMO_SEED).expect("valid"));
    let variant = catalog.products()[0].variants[0].id.clone();
    let ctx = Context {
        catalog: &catalog,
        now: start(),
    };
    let cmd = CreateCommand {
        currency: "USD".into(),
        items: vec![RequestedItem {
            id: variant.clone(),
            unit_amount: None,
        }],
        buyer: None,
        fulfillment: Some(address("CA")),
        interventions_supported: vec!["3ds".into(), "biometric".into()],
        discount_codes: vec![" save ".into(), "SAVE".into()],
        fulfillment_groups_sent: false,
        locale: None,
        timezone: None,
        quote_id: None,
        metadata: None,
        order_notes: None,
    };
    let mut counter = 0;
    let mut s = session::create(
        "cs_1".into(),
        "a".into(),
        cmd,
        &ctx,
        Duration::seconds(60),
        &mut || {
            counter += 1;
            format!("li_{counter}")
        },
    )
    .expect("valid");
    assert_eq!(s.currency, "usd", "currency is matched case-insensitively");
    assert_eq!(
        s.interventions,
        vec!["3ds"],
        "the intersection of what the agent and the merchant support"
    );
    assert_eq!(
        s.discount_codes,
        vec!["SAVE"],
        "codes are trimmed, upper-cased and de-duplicated"
    );
    s.lines[0].reserved = 1;
    let released = session::cancel(&mut s, ctx.now).expect("open");
    assert_eq!(
        released,
        vec![Hold {
            variant_id: variant,
            delta: -1
        }]
    );
    assert_eq!(
        session::cancel(&mut s, ctx.now),
        Err(session::StateError::Canceled)
    );
    assert!(session::expire(&mut s, ctx.now + Duration::hours(2)).is_empty());
    assert_eq!(s.status, Status::Canceled);
}
