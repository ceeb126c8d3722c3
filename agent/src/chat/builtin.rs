//! The built-in engine: understands a message by rules ([`super::nlu`]), runs the operations it
//! asks for, and says what happened, from the merchant's authoritative checkout state. It needs
//! no network besides the merchant and the PSP.

use super::nlu::{self, Command};
use super::{CardEvent, Said};
use crate::error::Error;
use crate::shop::Shop;
use crate::shop::outcome::{CheckoutStep, Outcome};
use crate::shop::state::Awaiting;
use crate::shop::view::money;

const HELP: &str = "I can find products (\"trail running shoes under $120\", \"a blue rain jacket in size M\"), \
then choose one (\"the second one\", \"the black one in size 10\", \"2 of them\"), check out (\"buy it\"), \
take your shipping address (\"Jane Doe, 500 Congress Ave, Austin, TX 78701\") and e-mail, a shipping speed \
(\"express\"), and your card, which goes straight to the payment provider. Afterwards ask \"where is my order?\", \
or say \"cancel\" before paying.";

pub async fn reply(shop: &mut Shop<'_>, said: &Said) -> Result<Vec<String>, Error> {
    let mut outcomes: Vec<Outcome> = Vec::new();
    if let Some(card) = &said.card {
        match card {
            CardEvent::Refused(why) => outcomes.push(Outcome::CardRefused {
                reason: why.clone(),
            }),
            CardEvent::Given { brand, last4 } => {
                let buying = shop.has_open_checkout() || !shop.state.cart.is_empty();
                if buying
                    || shop
                        .state
                        .focus
                        .as_ref()
                        .is_some_and(|f| f.variant_id.is_some())
                {
                    if !buying {
                        outcomes.push(shop.checkout(false).await?);
                    }
                    outcomes.push(shop.pay().await?);
                } else {
                    return Ok(vec![format!(
                        "Thanks, I'll pay with your {brand} ending {last4} once you have chosen something."
                    )]);
                }
            }
        }
        return Ok(render(shop, outcomes));
    }

    let text = said.text.as_str();
    let command = nlu::command(text);
    let single = match command {
        Some(Command::Help) => return Ok(vec![HELP.to_owned()]),
        Some(Command::OrderStatus) => Some(shop.order_status().await?),
        Some(Command::Cancel) => Some(shop.cancel(Some(text)).await?),
        Some(Command::Done) => Some(shop.authentication_done().await?),
        // Anything while the bank waits: look whether it has answered.
        None if shop.state.awaiting == Awaiting::Authentication => {
            Some(shop.authentication_done().await?)
        }
        _ => None,
    };
    if let Some(outcome) = single {
        return Ok(render(shop, vec![outcome]));
    }

    let mut understood = false;
    // Details the checkout will need, wherever they appear in the message.
    let email = nlu::email(text);
    let name = nlu::name(text);
    if email.is_some() || name.is_some() {
        understood = true;
        let (first, last) = name.map_or((None, None), |(f, l)| (Some(f), l));
        if let Some(o) = shop.set_contact(email, first, last).await? {
            outcomes.push(o);
        }
    }
    let known_name = shop.state.buyer.full_name();
    if let Some(address) = nlu::address(text, known_name.as_deref()) {
        understood = true;
        if let Some(o) = shop.set_address(address).await? {
            outcomes.push(o);
        }
    }
    if let Some(speed) = nlu::shipping(text) {
        understood = true;
        outcomes.push(shop.choose_shipping(speed).await?);
    }

    // Choosing: an option of the product in focus, or one of the results.
    let awaiting_option = matches!(shop.state.awaiting, Awaiting::Option { .. });
    let bare = shop.state.awaiting == Awaiting::Choice;
    let pick = nlu::pick(text, bare && !awaiting_option);
    let focus_options = match &shop.state.focus {
        Some(_) => !focus_option_words(shop, text).await?.is_empty(),
        None => false,
    };
    if let Some(p) = pick.filter(|_| !(awaiting_option && focus_options)) {
        understood = true;
        outcomes.push(shop.choose(p, text).await?);
    } else if focus_options {
        understood = true;
        outcomes.push(shop.pick_options(text).await?);
    }
    if let Some(n) = nlu::quantity(text).filter(|_| shop.state.focus.is_some()) {
        understood = true;
        outcomes.push(shop.set_quantity(n).await?);
    }

    match command {
        Some(Command::Buy) | Some(Command::Add) => {
            understood = true;
            let add = command == Some(Command::Add);
            let step = shop.checkout(add).await?;
            let ready = matches!(&step, Outcome::Checkout(s) if s.ready);
            outcomes.push(step);
            // A card given earlier in the conversation pays as soon as checkout is ready.
            if ready && !add && shop.app.cards.get(shop.conversation).is_some() {
                outcomes.push(shop.pay().await?);
            }
        }
        Some(Command::ShowCart) => {
            understood = true;
            if shop.has_open_checkout() {
                outcomes.push(shop.sync_checkout().await?);
            } else {
                outcomes.push(Outcome::Problem {
                    message: cart_summary(shop),
                });
            }
        }
        _ => {}
    }

    // Details given while checkout waited for them: carry on with it.
    if understood
        && shop.state.awaiting == Awaiting::Details
        && !outcomes.iter().any(|o| matches!(o, Outcome::Checkout(_)))
        && !shop.state.cart.is_empty()
    {
        outcomes.push(shop.sync_checkout().await?);
    }

    if !understood {
        outcomes.push(shop.search(text).await?);
    }
    Ok(render(shop, outcomes))
}

/// Option values of the product in focus named in `text`.
async fn focus_option_words(shop: &Shop<'_>, text: &str) -> Result<Vec<(String, String)>, Error> {
    let Some(f) = &shop.state.focus else {
        return Ok(Vec::new());
    };
    let product = crate::store::feeds::products_by_id(
        &shop.app.db.read,
        &f.hit.feed_id,
        &[&f.hit.product_id],
    )
    .await?;
    Ok(product
        .first()
        .map(|p| crate::shop::options_named(text, p))
        .unwrap_or_default())
}

fn cart_summary(shop: &Shop<'_>) -> String {
    if shop.state.cart.is_empty() {
        return "Your cart is empty.".into();
    }
    let lines: Vec<String> = shop
        .state
        .cart
        .iter()
        .map(|l| {
            format!(
                "{} × {}{}",
                l.quantity,
                l.title,
                l.feed_price
                    .map(|p| format!(" ({} each)", money(p)))
                    .unwrap_or_default()
            )
        })
        .collect();
    format!(
        "In your cart: {}. Say \"buy it\" to check out.",
        lines.join("; ")
    )
}

/// The outcomes as sentences; of several checkout steps, only the last is told.
fn render(shop: &Shop<'_>, outcomes: Vec<Outcome>) -> Vec<String> {
    let last_checkout = outcomes
        .iter()
        .rposition(|o| matches!(o, Outcome::Checkout(_)));
    let mut out = Vec::new();
    for (i, o) in outcomes.iter().enumerate() {
        if matches!(o, Outcome::Checkout(_)) && Some(i) != last_checkout {
            continue;
        }
        let text = say(shop, o);
        if !text.is_empty() {
            out.push(text);
        }
    }
    if out.is_empty() {
        out.push("Sorry, I didn't catch that. Try \"help\".".into());
    }
    out
}

fn price(p: Option<i64>, list: Option<i64>) -> String {
    match (p, list) {
        (Some(p), Some(l)) if l > p => format!("{} (was {})", money(p), money(l)),
        (Some(p), _) => money(p),
        _ => "price at checkout".into(),
    }
}

fn say(shop: &Shop<'_>, o: &Outcome) -> String {
    match o {
        Outcome::Results {
            results,
            relaxed,
            understood,
        } => {
            let mut s = String::new();
            if *relaxed {
                let wanted: Vec<String> = understood
                    .colors
                    .iter()
                    .chain(&understood.sizes)
                    .cloned()
                    .collect();
                s.push_str(&format!(
                    "I found nothing in {}; these are the closest.\n",
                    wanted.join(" or ")
                ));
            } else {
                s.push_str("Here's what I found (catalog prices; checkout confirms them):\n");
            }
            for r in results {
                let stock = match r.status.as_deref() {
                    Some("limited_stock") => "only a few left",
                    _ if r.available => "in stock",
                    _ => "out of stock",
                };
                let choices: Vec<String> = r
                    .choices
                    .iter()
                    .map(|c| {
                        let name = c.name.to_lowercase();
                        let v = &c.values;
                        if v.len() > 5 {
                            format!("{name} {} to {}", v[0], v[v.len() - 1])
                        } else {
                            format!("{name} {}", v.join(", "))
                        }
                    })
                    .collect();
                s.push_str(&format!(
                    "{}. {}{} — {}, {}{}\n",
                    r.number,
                    r.title,
                    r.brand
                        .as_ref()
                        .map(|b| format!(" by {b}"))
                        .unwrap_or_default(),
                    price(r.price, r.list_price),
                    stock,
                    if choices.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", choices.join("; "))
                    }
                ));
            }
            s.push_str("Which one would you like?");
            s
        }
        Outcome::NoResults { understood } => {
            let mut what = understood.words.join(" ");
            if let Some(m) = &understood.max_price {
                what.push_str(&format!(" under {m}"));
            }
            if what.trim().is_empty() {
                "What are you looking for? Name a product, like \"hiking boots\".".into()
            } else {
                format!("I couldn't find {}. Try other words?", what.trim())
            }
        }
        Outcome::Chosen {
            title,
            price: p,
            quantity,
            ..
        } => format!(
            "{}{} — {} (catalog price). Say \"buy it\" to check out{}.",
            if *quantity > 1 {
                format!("{quantity} × ")
            } else {
                String::new()
            },
            title,
            price(*p, None),
            if *quantity > 1 {
                ""
            } else {
                ", or tell me how many"
            }
        ),
        Outcome::NeedsOption {
            product_title,
            option,
            values,
        } => {
            let vals: Vec<String> = values
                .iter()
                .map(|v| {
                    if v.available {
                        v.value.clone()
                    } else {
                        format!("{} (sold out)", v.value)
                    }
                })
                .collect();
            format!(
                "Good choice: {product_title}. Which {}? {}.",
                option.to_lowercase(),
                vals.join(", ")
            )
        }
        Outcome::Unavailable { title, instead } => {
            if instead.is_empty() {
                format!("Sorry, {title} is out of stock.")
            } else {
                format!(
                    "Sorry, {title} is out of stock. Available: {}.",
                    instead.join(", ")
                )
            }
        }
        Outcome::NotFound { what } => format!("Sorry, {what}."),
        Outcome::Quantity { title, quantity } => format!("OK: {quantity} × {title}."),
        Outcome::Checkout(step) => say_checkout(shop, step),
        Outcome::Ordered { order, card } => format!(
            "Done! Order {} is placed{}, paid with {card}. Receipt: {}. I'll let you know when it ships.",
            order.number.clone().unwrap_or_else(|| order.id.clone()),
            order
                .total
                .map(|t| format!(" ({})", money(t)))
                .unwrap_or_default(),
            order.permalink_url
        ),
        Outcome::Declined { reason } => {
            format!("The payment didn't go through. {reason} You can send another card.")
        }
        Outcome::Challenge { url } => format!(
            "Your bank wants you to confirm this payment. Open {url} , follow the steps there, then tell me \"done\"."
        ),
        Outcome::ChallengeWaiting { url } => format!(
            "Your bank is still waiting for you at {url} . Say \"done\" once you have finished there."
        ),
        Outcome::CardNeeded { total } => format!(
            "To pay{}, send your card number, expiry and CVC on one line (number, then MM/YY, then CVC). It goes straight to the payment provider; I keep only the last four digits.",
            total.map(|t| format!(" {}", money(t))).unwrap_or_default()
        ),
        Outcome::CardRefused { reason } => {
            format!("I can't use that card: {reason}. Please check it and send it again.")
        }
        Outcome::Canceled => {
            "Canceled: nothing was charged and the items are back on the shelf.".into()
        }
        Outcome::NothingToCancel => "There's nothing to cancel.".into(),
        Outcome::OrderNotCancelable {
            number,
            permalink_url,
        } => format!(
            "Order {number} is already placed, so I can't cancel it here; the shop can help: {permalink_url}"
        ),
        Outcome::OrderStatus {
            summary,
            permalink_url,
            ..
        } => format!("{summary} Details: {permalink_url}"),
        Outcome::NoOrder => "You haven't placed an order yet.".into(),
        Outcome::Problem { message } => message.clone(),
    }
}

fn say_checkout(shop: &Shop<'_>, step: &CheckoutStep) -> String {
    let c = &step.checkout;
    let mut s = String::new();
    for change in &step.price_changes {
        s.push_str(&format!(
            "Note: the shop's price for {} is {}, not the {} the catalog showed.\n",
            change.title,
            money(change.checkout_price),
            money(change.feed_price)
        ));
    }
    // What the merchant says needs attention, in its own words.
    for m in &step.problems {
        s.push_str(&m.text);
        s.push('\n');
    }
    let lines: Vec<String> = c
        .lines
        .iter()
        .map(|l| {
            format!(
                "{} × {}{}",
                l.quantity,
                l.title,
                l.subtotal
                    .map(|t| format!(" {}", money(t)))
                    .unwrap_or_default()
            )
        })
        .collect();
    if !lines.is_empty() {
        s.push_str(&format!("Your order: {}.", lines.join("; ")));
    }
    let selected = c.shipping.iter().find(|o| o.selected);
    if let Some(o) = selected {
        s.push_str(&format!(
            " {}{}{}.",
            o.title,
            o.description
                .as_ref()
                .map(|d| format!(" ({d})"))
                .unwrap_or_default(),
            o.price
                .or(o.total)
                .map(|t| format!(" {}", money(t)))
                .unwrap_or_default()
        ));
    }
    for t in &c.totals {
        if t.kind == "tax" {
            s.push_str(&format!(" Tax {}.", money(t.amount)));
        }
    }
    if let Some(total) = c.total {
        s.push_str(&format!(" Total {}.", money(total)));
    }
    let others: Vec<String> = c
        .shipping
        .iter()
        .filter(|o| !o.selected && o.price.or(o.total).is_some())
        .map(|o| {
            format!(
                "{} {}",
                o.title,
                o.price.or(o.total).map(money).unwrap_or_default()
            )
        })
        .collect();
    if !others.is_empty() && step.ready {
        s.push_str(&format!(" Other shipping: {}.", others.join(", ")));
    }
    if step.ready {
        let card = shop
            .app
            .cards
            .get(shop.conversation)
            .map(|h| format!("{} ending {}", h.card.brand(), h.card.last4()));
        match card {
            Some(_) => {}
            None => s.push_str(
                "\nTo pay, send your card number, expiry and CVC on one line (number, then MM/YY, then CVC). It goes straight to the payment provider; I keep only the last four digits.",
            ),
        }
    } else {
        let mut needs: Vec<&str> = Vec::new();
        for m in &step.missing {
            match m.as_str() {
                "address" => needs.push(
                    "your shipping address (like \"Jane Doe, 500 Congress Ave, Austin, TX 78701\")",
                ),
                "email" => needs.push("your e-mail for the receipt"),
                "shipping" => needs.push("a shipping speed"),
                _ => {}
            }
        }
        if !needs.is_empty() {
            s.push_str(&format!("\nTo check out I need {}.", needs.join(" and ")));
        }
    }
    s.trim().to_owned()
}
