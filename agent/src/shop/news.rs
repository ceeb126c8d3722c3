//! Order news: what changed between two states of an order (from its webhooks), said the way a
//! buyer wants to hear it, and the order's status on request.

use shared::v2026_04_17::{
    AdjustmentStatus, AdjustmentType, FulfillmentStatus, Order, OrderStatus,
};

use super::Shop;
use super::outcome::Outcome;
use super::view::money;
use crate::error::Error;
use crate::store;

fn name(o: &Order) -> String {
    format!(
        "Your order {}",
        o.order_number.clone().unwrap_or_else(|| o.id.clone())
    )
}

fn parcel(f: &shared::v2026_04_17::Fulfillment) -> String {
    match (&f.carrier, &f.tracking_number) {
        (Some(c), Some(t)) => format!(" with {c} (tracking {t})"),
        (Some(c), None) => format!(" with {c}"),
        _ => String::new(),
    }
}

/// The news in `now` since `before` (`None`: the order is new), if any is worth telling.
pub fn describe(before: Option<&Order>, now: &Order) -> Option<String> {
    let was = before.and_then(|b| b.status.clone());
    let status = now.status.clone();
    let mut said: Vec<String> = Vec::new();
    if status != was {
        match &status {
            // The buyer heard about the order when it was placed.
            Some(OrderStatus::Created) | None => {}
            Some(OrderStatus::Confirmed) => said.push(format!("{} is confirmed.", name(now))),
            Some(OrderStatus::Processing) => {
                said.push(format!("{} is being packed.", name(now)));
            }
            Some(OrderStatus::Shipped) => {}
            Some(OrderStatus::Completed) => {
                let digital = now
                    .fulfillments
                    .iter()
                    .flatten()
                    .filter_map(|f| f.digital_delivery.as_ref()?.access_url.clone())
                    .next();
                said.push(match digital {
                    Some(url) => format!("{} is delivered: download it at {url}", name(now)),
                    None => format!("{} has been delivered.", name(now)),
                });
            }
            Some(OrderStatus::Canceled) => said.push(format!("{} was canceled.", name(now))),
            Some(other) => said.push(format!("{} is now {}.", name(now), other.as_str())),
        }
    }
    let old_parcel = |id: &str| {
        before
            .and_then(|b| b.fulfillments.as_ref())
            .and_then(|fs| fs.iter().find(|f| f.id == id))
            .and_then(|f| f.status.clone())
    };
    for f in now.fulfillments.iter().flatten() {
        let was = old_parcel(&f.id);
        if f.status == was {
            continue;
        }
        match f.status {
            Some(FulfillmentStatus::Shipped | FulfillmentStatus::InTransit) => {
                said.push(format!("{} has shipped{}.", name(now), parcel(f)));
            }
            Some(FulfillmentStatus::OutForDelivery) => {
                said.push(format!("{} is out for delivery{}.", name(now), parcel(f)));
            }
            // One parcel of several; the last one is announced with the order, above.
            Some(FulfillmentStatus::Delivered) if status != Some(OrderStatus::Completed) => {
                said.push(format!(
                    "A parcel of your order {} was delivered{}.",
                    now.order_number.clone().unwrap_or_else(|| now.id.clone()),
                    parcel(f)
                ));
            }
            _ => {}
        }
    }
    let known_refund = |id: &str| {
        before
            .and_then(|b| b.adjustments.as_ref())
            .and_then(|a| a.iter().find(|x| x.id == id))
            .is_some_and(|x| x.status == AdjustmentStatus::Completed)
    };
    for a in now.adjustments.iter().flatten() {
        if a.status == AdjustmentStatus::Completed
            && matches!(
                a.kind,
                AdjustmentType::Refund | AdjustmentType::Cancellation
            )
            && !known_refund(&a.id)
            && let Some(amount) = a.amount
        {
            said.push(format!(
                "You were refunded {} for order {}.",
                money(amount),
                now.order_number.clone().unwrap_or_else(|| now.id.clone())
            ));
        }
    }
    (!said.is_empty()).then(|| said.join(" "))
}

/// One line about where an order is.
pub fn summary(o: &Order) -> String {
    let tracked = o
        .fulfillments
        .iter()
        .flatten()
        .find(|f| f.tracking_number.is_some());
    let mut out = match (&o.status, tracked) {
        (Some(OrderStatus::Shipped), Some(f)) => format!("{} has shipped{}", name(o), parcel(f)),
        (Some(OrderStatus::Completed), _) => format!("{} has been delivered", name(o)),
        (Some(OrderStatus::Canceled), _) => format!("{} was canceled", name(o)),
        (status, _) => format!(
            "{} is {}",
            name(o),
            status.as_ref().map_or("created", |s| s.as_str())
        ),
    };
    if let Some(d) = &o.estimated_delivery
        && !matches!(
            o.status,
            Some(OrderStatus::Completed | OrderStatus::Canceled)
        )
    {
        out.push_str(&format!(
            ", expected between {} and {}",
            d.earliest.format("%a %-d %b"),
            d.latest.format("%a %-d %b")
        ));
    }
    out.push('.');
    out
}

impl Shop<'_> {
    /// Where the buyer's latest order is, as its webhooks last told.
    pub async fn order_status(&mut self) -> Result<Outcome, Error> {
        let Some(o) = self.state.order.clone() else {
            return Ok(Outcome::NoOrder);
        };
        let latest = store::conversations::order_document(&self.app.db.read, &o.merchant_id, &o.id)
            .await?
            .and_then(|doc| serde_json::from_str::<serde_json::Value>(&doc).ok())
            .and_then(|event| serde_json::from_value::<Order>(event["data"].clone()).ok());
        let (status, text) = match &latest {
            Some(order) => (
                order
                    .status
                    .as_ref()
                    .map_or_else(|| o.status.clone(), |s| s.as_str().to_owned()),
                summary(order),
            ),
            None => (
                o.status.clone(),
                format!(
                    "Your order {} is {}.",
                    o.number.clone().unwrap_or_else(|| o.id.clone()),
                    o.status
                ),
            ),
        };
        if let Some(held) = self.state.order.as_mut() {
            held.status = status.clone();
        }
        Ok(Outcome::OrderStatus {
            number: o.number.unwrap_or(o.id),
            status,
            summary: text,
            permalink_url: o.permalink_url,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn order(
        status: &str,
        fulfillments: serde_json::Value,
        adjustments: serde_json::Value,
    ) -> Order {
        serde_json::from_value(json!({
            "type": "order", "id": "ord_1", "order_number": "ADO-1", "checkout_session_id": "cs_1",
            "permalink_url": "http://localhost:4001/orders/ord_1", "status": status,
            "fulfillments": fulfillments, "adjustments": adjustments
        }))
        .expect("an order")
    }

    #[test]
    fn each_change_is_told_once() {
        let created = order("created", json!([]), json!([]));
        assert_eq!(describe(None, &created), None);
        let confirmed = order("confirmed", json!([]), json!([]));
        assert_eq!(
            describe(Some(&created), &confirmed).as_deref(),
            Some("Your order ADO-1 is confirmed.")
        );
        let shipped = order(
            "shipped",
            json!([{"id": "ful_1", "type": "shipping", "status": "shipped", "carrier": "UPS", "tracking_number": "1Z999"}]),
            json!([]),
        );
        assert_eq!(
            describe(Some(&confirmed), &shipped).as_deref(),
            Some("Your order ADO-1 has shipped with UPS (tracking 1Z999).")
        );
        assert_eq!(describe(Some(&shipped), &shipped), None);
        let delivered = order(
            "completed",
            json!([{"id": "ful_1", "type": "shipping", "status": "delivered", "carrier": "UPS", "tracking_number": "1Z999"}]),
            json!([]),
        );
        assert_eq!(
            describe(Some(&shipped), &delivered).as_deref(),
            Some("Your order ADO-1 has been delivered.")
        );
        let refunded = order(
            "completed",
            json!([{"id": "ful_1", "type": "shipping", "status": "delivered"}]),
            json!([{"id": "adj_1", "type": "refund", "occurred_at": "2026-12-01T00:00:00Z", "status": "completed", "amount": 1250, "currency": "usd"}]),
        );
        assert_eq!(
            describe(Some(&delivered), &refunded).as_deref(),
            Some("You were refunded $12.50 for order ADO-1.")
        );
    }

    #[test]
    fn a_summary_says_where_it_is() {
        assert_eq!(
            summary(&order("confirmed", json!([]), json!([]))),
            "Your order ADO-1 is confirmed."
        );
        let shipped = order(
            "shipped",
            json!([{"id": "ful_1", "type": "shipping", "status": "shipped", "carrier": "UPS", "tracking_number": "1Z9"}]),
            json!([]),
        );
        assert_eq!(
            summary(&shipped),
            "Your order ADO-1 has shipped with UPS (tracking 1Z9)."
        );
        assert_eq!(
            summary(&order("completed", json!([]), json!([]))),
            "Your order ADO-1 has been delivered."
        );
    }
}
