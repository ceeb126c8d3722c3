//! ACP 2026-04-17: request bodies into commands, sessions into `CheckoutSession` JSON.

use std::collections::BTreeMap;

use serde::Serialize;
use serde::de::DeserializeOwned;
use shared::ApiVersion;
use shared::v2026_04_17 as w;
pub use shared::v2026_04_17::V2026_04_17;

use super::{
    Authentication, CompleteInput, CreateInput, IntentTraceRecord, RenderContext, WireVersion,
    parse_body,
};
use crate::domain::message::{self, Kind};
use crate::domain::order::{
    AdjustmentKind, AdjustmentStatus, Fulfillment, FulfillmentKind, FulfillmentStatus, LineQty,
    Order,
};
use crate::domain::party;
use crate::domain::payment::ThreeDs;
use crate::domain::session::{
    self, CreateCommand, Line, Patch, RequestError, RequestedItem, SelectionRequest, Session,
    Status, UpdateCommand,
};
use crate::domain::shipping::{OptionKind, Quote};
use crate::error::ApiError;

impl WireVersion for V2026_04_17 {
    fn parse_create(body: &[u8]) -> Result<CreateInput, ApiError> {
        let req: w::CheckoutSessionCreateRequest = parse_body(body)?;
        check_order_notes(req.order_notes.as_deref())?;
        if let Some(a) = &req.affiliate_attribution
            && a.token.is_none()
            && a.publisher_id.is_none()
        {
            return Err(invalid_body(
                "missing_required_field",
                "affiliate_attribution needs a token or a publisher_id.",
                "$.affiliate_attribution.token",
            ));
        }
        let interventions = req
            .capabilities
            .interventions
            .as_ref()
            .and_then(|i| i.supported.as_ref())
            .map(|s| {
                s.iter()
                    .filter(|t| t.is_known())
                    .map(|t| t.as_str().to_owned())
                    .collect()
            })
            .unwrap_or_default();
        let codes = req
            .discounts
            .as_ref()
            .and_then(|d| d.codes.clone())
            .or(req.coupons.clone())
            .unwrap_or_default();
        let attribution = req
            .affiliate_attribution
            .as_ref()
            .map(serde_json::to_value)
            .transpose()
            .map_err(|e| ApiError::Internal(e.into()))?;
        Ok(CreateInput {
            command: CreateCommand {
                currency: req.currency.to_ascii_lowercase(),
                items: req.line_items.into_iter().map(requested).collect(),
                buyer: req.buyer.map(buyer_in),
                fulfillment: req.fulfillment_details.map(fulfillment_in),
                interventions_supported: interventions,
                discount_codes: codes,
                fulfillment_groups_sent: req.fulfillment_groups.is_some_and(|g| !g.is_empty()),
                locale: req.locale,
                timezone: req.timezone,
                quote_id: req.quote_id,
                metadata: req.metadata,
                order_notes: req.order_notes,
            },
            attribution,
        })
    }

    fn parse_update(body: &[u8]) -> Result<UpdateCommand, ApiError> {
        let req: w::CheckoutSessionUpdateRequest = parse_body(body)?;
        if let Some(Some(notes)) = &req.order_notes {
            check_order_notes(Some(notes))?;
        }
        let items = match req.line_items {
            None => None,
            Some(None) => {
                return Err(invalid_body(
                    "invalid_type",
                    "line_items cannot be cleared; cancel the session instead.",
                    "$.line_items",
                ));
            }
            Some(Some(items)) => Some(items.into_iter().map(requested).collect()),
        };
        let selections = match req.selected_fulfillment_options {
            None => Patch::Keep,
            Some(None) => Patch::Clear,
            Some(Some(list)) => Patch::Set(
                list.into_iter()
                    .enumerate()
                    .map(|(i, s)| selection_in(i, s))
                    .collect::<Result<Vec<_>, _>>()?,
            ),
        };
        // `discounts.codes` wins over the deprecated `coupons`.
        let discount_codes = match (req.discounts, req.coupons) {
            (Some(Some(d)), _) => d.codes.map_or(Patch::Keep, Patch::Set),
            (Some(None), _) => Patch::Clear,
            (None, coupons) => Patch::from_wire(coupons),
        };
        Ok(UpdateCommand {
            items,
            buyer: Patch::from_wire(req.buyer.map(|b| b.map(buyer_in))),
            fulfillment: Patch::from_wire(req.fulfillment_details.map(|f| f.map(fulfillment_in))),
            selections,
            discount_codes,
            order_notes: Patch::from_wire(req.order_notes),
            fulfillment_groups_sent: matches!(req.fulfillment_groups, Some(Some(g)) if !g.is_empty()),
        })
    }

    fn parse_cancel(body: &[u8]) -> Result<Option<IntentTraceRecord>, ApiError> {
        let req: w::CancelSessionRequest = parse_body(body)?;
        let Some(trace) = req.intent_trace else {
            return Ok(None);
        };
        if trace
            .trace_summary
            .as_ref()
            .is_some_and(|s| s.chars().count() > 500)
        {
            return Err(invalid_body(
                "invalid_value",
                "trace_summary is limited to 500 characters.",
                "$.intent_trace.trace_summary",
            ));
        }
        if let Some(meta) = &trace.metadata {
            for (k, v) in meta {
                if !(v.is_string() || v.is_number() || v.is_boolean()) {
                    return Err(invalid_body(
                        "invalid_type",
                        "intent_trace.metadata values must be strings, numbers or booleans.",
                        &format!("$.intent_trace.metadata.{k}"),
                    ));
                }
            }
        }
        // An unknown reason is not an error (RFC intent_traces): it is recorded as `other`.
        let reason_code = if trace.reason_code.is_known() {
            trace.reason_code.as_str().to_owned()
        } else {
            "other".to_owned()
        };
        let document = serde_json::to_value(&trace).map_err(|e| ApiError::Internal(e.into()))?;
        Ok(Some(IntentTraceRecord {
            reason_code,
            document,
        }))
    }

    fn parse_complete(body: &[u8]) -> Result<CompleteInput, ApiError> {
        let req: w::CheckoutSessionCompleteRequest = parse_body(body)?;
        check_order_notes(req.order_notes.as_deref())?;
        let pd = &req.payment_data;
        let invalid = |param: &str, message: &str| -> ApiError {
            RequestError::Invalid {
                param: param.to_owned(),
                message: message.to_owned(),
            }
            .into()
        };
        if pd.purchase_order_number.is_some() {
            return Err(invalid(
                "$.payment_data.purchase_order_number",
                "Purchase orders are not accepted; pay with the card handler.",
            ));
        }
        let Some(handler_id) = pd.handler_id.clone() else {
            return Err(invalid_body(
                "missing_required_field",
                "payment_data.handler_id is required.",
                "$.payment_data.handler_id",
            ));
        };
        if handler_id != CARD_HANDLER_ID {
            return Err(invalid(
                "$.payment_data.handler_id",
                &format!("'{handler_id}' is not one of this session's payment handlers (card)."),
            ));
        }
        let Some(instrument) = &pd.instrument else {
            return Err(invalid_body(
                "missing_required_field",
                "payment_data.instrument is required.",
                "$.payment_data.instrument",
            ));
        };
        if instrument.kind != "card" {
            return Err(invalid(
                "$.payment_data.instrument.type",
                "The card handler takes instruments of type 'card'.",
            ));
        }
        if instrument.credential.kind != "spt" || instrument.credential.token.trim().is_empty() {
            return Err(invalid(
                "$.payment_data.instrument.credential",
                "The card handler takes a Shared Payment Token credential of type 'spt'.",
            ));
        }
        let authentication =
            match &req.authentication_result {
                None => None,
                Some(r) => {
                    if r.outcome.requires_details() && r.outcome_details.is_none() {
                        return Err(invalid_body(
                            "missing_required_field",
                            "outcome_details is required for this outcome.",
                            "$.authentication_result.outcome_details",
                        ));
                    }
                    let succeeded = matches!(
                        r.outcome,
                        w::AuthenticationOutcome::Authenticated
                            | w::AuthenticationOutcome::AttemptAcknowledged
                    );
                    Some(Authentication {
                        outcome: enum_text(&r.outcome),
                        three_ds: r.outcome_details.as_ref().filter(|_| succeeded).map(|d| {
                            ThreeDs {
                                cryptogram: d.three_ds_cryptogram.clone(),
                                eci: enum_text(&d.electronic_commerce_indicator),
                                transaction_id: d.transaction_id.clone(),
                                version: d.version.clone(),
                            }
                        }),
                    })
                }
            };
        let attribution = req
            .affiliate_attribution
            .as_ref()
            .map(serde_json::to_value)
            .transpose()
            .map_err(|e| ApiError::Internal(e.into()))?;
        Ok(CompleteInput {
            handler_id,
            token: instrument.credential.token.trim().to_owned(),
            buyer: req.buyer.map(buyer_in),
            authentication,
            attribution,
            order_notes: req.order_notes,
        })
    }

    fn session_body(
        session: &Session,
        order: Option<&Order>,
        ctx: &RenderContext<'_>,
    ) -> Result<String, ApiError> {
        serde_json::to_string(&render_session(session, order, ctx))
            .map_err(|e| ApiError::Internal(e.into()))
    }

    fn discovery_body(ctx: &RenderContext<'_>) -> Result<String, ApiError> {
        let doc = w::DiscoveryResponse {
            protocol: w::DiscoveryProtocol {
                name: w::ProtocolName::Acp,
                version: ApiVersion::LATEST.as_str().to_owned(),
                supported_versions: ApiVersion::supported_strings(),
                documentation_url: None,
            },
            api_base_url: ctx.base_url.to_owned(),
            transports: vec![w::Transport::Rest],
            capabilities: w::DiscoveryCapabilities {
                services: vec![w::Service::Checkout],
                extensions: None,
                intervention_types: None,
                supported_currencies: Some(vec!["usd".to_owned()]),
                supported_locales: Some(vec!["en-US".to_owned()]),
            },
        };
        serde_json::to_string(&doc).map_err(|e| ApiError::Internal(e.into()))
    }
}

fn invalid_body(code: &'static str, message: &str, param: &str) -> ApiError {
    ApiError::InvalidBody {
        code,
        message: message.to_owned(),
        param: Some(param.to_owned()),
    }
}

fn check_order_notes(notes: Option<&str>) -> Result<(), ApiError> {
    if notes.is_some_and(|n| n.chars().count() > 5000) {
        return Err(invalid_body(
            "invalid_value",
            "order_notes is limited to 5000 characters.",
            "$.order_notes",
        ));
    }
    Ok(())
}

fn requested(item: w::Item) -> RequestedItem {
    RequestedItem {
        id: item.id,
        unit_amount: item.unit_amount,
    }
}

fn selection_in(i: usize, s: w::SelectedFulfillmentOption) -> Result<SelectionRequest, ApiError> {
    let kind = match s.kind {
        w::FulfillmentType::Shipping => OptionKind::Shipping,
        w::FulfillmentType::Digital => OptionKind::Digital,
        other => {
            return Err(RequestError::Invalid {
                param: format!("$.selected_fulfillment_options[{i}].type"),
                message: format!(
                    "{} fulfillment is not offered by this merchant.",
                    enum_text(&other)
                ),
            }
            .into());
        }
    };
    Ok(SelectionRequest {
        kind,
        option_id: s.option_id,
        item_ids: s.item_ids,
    })
}

/// The wire spelling of a closed enum (`"local_delivery"`).
fn enum_text<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn enum_from<T: DeserializeOwned>(s: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(s.to_owned())).ok()
}

fn address_in(a: w::Address) -> party::Address {
    party::Address {
        name: a.name,
        line_one: a.line_one,
        line_two: a.line_two,
        city: a.city,
        state: a.state,
        country: a.country,
        postal_code: a.postal_code,
        company: a.company,
    }
}

fn address_out(a: &party::Address) -> w::Address {
    w::Address {
        name: a.name.clone(),
        line_one: a.line_one.clone(),
        line_two: a.line_two.clone(),
        city: a.city.clone(),
        state: a.state.clone(),
        country: a.country.clone(),
        postal_code: a.postal_code.clone(),
        company: a.company.clone(),
    }
}

fn fulfillment_in(f: w::FulfillmentDetails) -> party::FulfillmentDetails {
    party::FulfillmentDetails {
        name: f.name,
        phone_number: f.phone_number,
        email: f.email,
        address: f.address.map(address_in),
    }
}

/// An e-mail that fails the check is reported in `messages[]` and not echoed, so the session
/// stays valid against the schema's `format: email`.
fn fulfillment_out(f: &party::FulfillmentDetails) -> w::FulfillmentDetails {
    w::FulfillmentDetails {
        name: f.name.clone(),
        phone_number: f.phone_number.clone(),
        email: f.email.clone().filter(|e| party::email_is_plausible(e)),
        address: f.address.as_ref().map(address_out),
    }
}

fn buyer_in(b: w::Buyer) -> party::Buyer {
    party::Buyer {
        email: b.email,
        first_name: b.first_name,
        last_name: b.last_name,
        full_name: b.full_name,
        phone_number: b.phone_number,
        customer_id: b.customer_id,
        account_type: b.account_type.as_ref().map(enum_text),
        authentication_status: b.authentication_status.as_ref().map(enum_text),
        company: b.company.map(|c| party::Company {
            name: c.name,
            tax_id: c.tax_id,
            department: c.department,
            cost_center: c.cost_center,
        }),
        loyalty: b.loyalty.map(|l| party::Loyalty {
            tier: l.tier,
            points_balance: l.points_balance,
            member_since: l.member_since,
        }),
        tax_exemption: b.tax_exemption.map(|t| party::TaxExemption {
            certificate_id: t.certificate_id,
            certificate_type: enum_text(&t.certificate_type),
            exempt_regions: t.exempt_regions,
            expires_at: t.expires_at,
        }),
    }
}

fn buyer_out(b: &party::Buyer) -> w::Buyer {
    w::Buyer {
        first_name: b.first_name.clone(),
        last_name: b.last_name.clone(),
        full_name: b.full_name.clone(),
        email: b.email.clone(),
        phone_number: b.phone_number.clone(),
        customer_id: b.customer_id.clone(),
        account_type: b.account_type.as_deref().and_then(enum_from),
        authentication_status: b.authentication_status.as_deref().and_then(enum_from),
        company: b.company.as_ref().map(|c| w::CompanyInfo {
            name: c.name.clone(),
            tax_id: c.tax_id.clone(),
            department: c.department.clone(),
            cost_center: c.cost_center.clone(),
        }),
        loyalty: b.loyalty.as_ref().map(|l| w::LoyaltyInfo {
            tier: l.tier.clone(),
            points_balance: l.points_balance,
            member_since: l.member_since,
        }),
        tax_exemption: b.tax_exemption.as_ref().and_then(|t| {
            Some(w::TaxExemption {
                certificate_id: t.certificate_id.clone(),
                certificate_type: enum_from(&t.certificate_type)?,
                exempt_regions: t.exempt_regions.clone(),
                expires_at: t.expires_at,
            })
        }),
    }
}

fn total(kind: w::TotalType, text: &str, amount: i64) -> w::Total {
    w::Total::new(kind, text, amount)
}

fn line_item(l: &Line, base_url: &str) -> w::LineItem {
    let p = &l.price;
    let mut totals = vec![total(w::TotalType::ItemsBaseAmount, "Base amount", p.base)];
    if p.discount > 0 {
        totals.push(total(w::TotalType::Discount, "Sale discount", p.discount));
    }
    totals.push(total(w::TotalType::Subtotal, "Subtotal", p.subtotal));
    if let Some(tax) = p.tax {
        totals.push(total(w::TotalType::Tax, "Tax", tax));
    }
    totals.push(total(w::TotalType::Total, "Total", p.total));

    let obtainable = l.reserved + l.available.unwrap_or(0);
    let availability =
        if l.reserved == l.quantity && l.available.is_none_or(|a| a > session::LOW_STOCK) {
            w::AvailabilityStatus::InStock
        } else if obtainable == 0 {
            w::AvailabilityStatus::OutOfStock
        } else {
            w::AvailabilityStatus::LowStock
        };
    let s = &l.snapshot;
    w::LineItem {
        id: l.id.clone(),
        item: w::Item::new(l.variant_id.clone()),
        quantity: l.quantity,
        name: Some(s.display_name()),
        description: Some(s.description.clone()),
        images: Some(vec![format!("{base_url}/images/{}.svg", l.variant_id)]),
        unit_amount: Some(p.unit_price),
        disclosures: s.disclosure.as_ref().map(|d| {
            vec![w::Disclosure {
                kind: w::DisclosureType::Disclaimer,
                content_type: w::ContentType::Plain,
                content: d.clone(),
            }]
        }),
        custom_attributes: None,
        marketplace_seller_details: None,
        product_id: Some(s.product_id.clone()),
        sku: Some(s.sku.clone()),
        variant_id: Some(l.variant_id.clone()),
        category: Some(s.category.clone()),
        tags: None,
        weight: s.weight_grams.map(|g| w::WeightInfo {
            value: f64::from(g),
            unit: w::WeightUnit::G,
        }),
        dimensions: None,
        availability_status: Some(availability),
        available_quantity: l.available.map(|_| obtainable),
        max_quantity_per_order: Some(s.max_per_order),
        fulfillable_on: None,
        variant_options: (!s.options.is_empty()).then(|| {
            s.options
                .iter()
                .map(|(name, value)| w::VariantOption {
                    name: name.clone(),
                    value: value.clone(),
                })
                .collect()
        }),
        discount_details: (p.discount > 0).then(|| {
            vec![w::DiscountDetail {
                code: None,
                kind: w::DiscountType::Fixed,
                amount: p.discount,
                description: Some("Sale price".to_owned()),
                source: Some(w::DiscountSource::Automatic),
            }]
        }),
        tax_exempt: None,
        tax_exemption_reason: None,
        parent_id: None,
        totals,
    }
}

fn option_out(q: &Quote) -> w::FulfillmentOption {
    let mut totals = vec![total(w::TotalType::Fulfillment, &q.title, q.cost)];
    if q.tax > 0 {
        totals.push(total(w::TotalType::Tax, "Tax", q.tax));
    }
    totals.push(total(w::TotalType::Total, "Total", q.cost + q.tax));
    match q.kind {
        OptionKind::Shipping => w::FulfillmentOption::Shipping(w::ShippingOption {
            id: q.id.clone(),
            title: q.title.clone(),
            description: Some(q.description.clone()),
            carrier: q.carrier.clone(),
            earliest_delivery_time: q.earliest,
            latest_delivery_time: q.latest,
            totals,
        }),
        OptionKind::Digital => w::FulfillmentOption::Digital(w::DigitalOption {
            id: q.id.clone(),
            title: q.title.clone(),
            description: Some(q.description.clone()),
            totals,
        }),
    }
}

fn message_out(m: &message::Message) -> w::Message {
    let resolution = m.resolution.map(|r| match r {
        message::Resolution::Recoverable => w::Resolution::Recoverable,
        message::Resolution::RequiresBuyerInput => w::Resolution::RequiresBuyerInput,
        message::Resolution::RequiresBuyerReview => w::Resolution::RequiresBuyerReview,
    });
    match m.kind {
        Kind::Info => w::Message::Info(w::MessageInfo {
            severity: None,
            resolution,
            param: m.param.clone(),
            content_type: w::ContentType::Plain,
            content: m.content.clone(),
        }),
        Kind::Warning(code) => w::Message::Warning(w::MessageWarning {
            code: match code {
                message::WarningCode::LowStock => w::WarningCode::LowStock,
                message::WarningCode::PriceChange => w::WarningCode::PriceChange,
                message::WarningCode::DiscountCodeInvalid => w::WarningCode::DiscountCodeInvalid,
            },
            severity: None,
            resolution,
            param: m.param.clone(),
            content_type: w::ContentType::Plain,
            content: m.content.clone(),
        }),
        Kind::Error(code) => w::Message::Error(w::MessageError {
            code: match code {
                message::ErrorCode::Missing => w::ErrorCode::Missing,
                message::ErrorCode::Invalid => w::ErrorCode::Invalid,
                message::ErrorCode::OutOfStock => w::ErrorCode::OutOfStock,
                message::ErrorCode::LowStock => w::ErrorCode::LowStock,
                message::ErrorCode::QuantityExceeded => w::ErrorCode::QuantityExceeded,
                message::ErrorCode::RegionRestricted => w::ErrorCode::RegionRestricted,
                message::ErrorCode::PaymentDeclined => w::ErrorCode::PaymentDeclined,
                message::ErrorCode::InterventionRequired => w::ErrorCode::InterventionRequired,
            },
            severity: None,
            resolution,
            param: m.param.clone(),
            content_type: w::ContentType::Plain,
            content: m.content.clone(),
        }),
    }
}

fn payment_handler(ctx: &RenderContext<'_>) -> w::PaymentHandler {
    let config = serde_json::json!({
        "merchant_id": ctx.merchant.merchant_id,
        "psp": ctx.merchant.psp,
        "accepted_brands": ["visa", "mastercard", "amex", "discover"],
        "accepted_funding_types": ["credit", "debit", "prepaid"],
        "supports_3ds": true,
        "environment": "sandbox",
    });
    w::PaymentHandler {
        id: CARD_HANDLER_ID.to_owned(),
        name: "dev.acp.tokenized.card".to_owned(),
        display_name: Some("Credit or debit card".to_owned()),
        version: "2026-01-22".to_owned(),
        spec: "https://acp.dev/handlers/tokenized.card".to_owned(),
        requires_delegate_payment: true,
        requires_pci_compliance: false,
        psp: ctx.merchant.psp.clone(),
        config_schema: "https://acp.dev/schemas/handlers/tokenized.card/config.json".to_owned(),
        instrument_schemas: vec![
            "https://acp.dev/schemas/handlers/tokenized.card/instrument.json".to_owned(),
        ],
        config: match config {
            serde_json::Value::Object(m) => m,
            _ => serde_json::Map::new(),
        },
        display_order: Some(0),
    }
}

fn session_totals(s: &Session) -> Vec<w::Total> {
    totals_out(&s.totals, s.lines.iter().any(|l| !l.snapshot.digital))
}

fn totals_out(t: &crate::domain::pricing::Totals, ships: bool) -> Vec<w::Total> {
    let mut out = vec![total(w::TotalType::ItemsBaseAmount, "Items", t.items_base)];
    if t.items_discount > 0 {
        out.push(total(
            w::TotalType::ItemsDiscount,
            "Sale discounts",
            t.items_discount,
        ));
    }
    out.push(total(w::TotalType::Subtotal, "Subtotal", t.subtotal));
    if let Some(f) = t.fulfillment {
        out.push(total(
            w::TotalType::Fulfillment,
            if ships { "Shipping" } else { "Delivery" },
            f,
        ));
    }
    if let Some(tax) = &t.tax {
        let mut line = total(w::TotalType::Tax, "Tax", tax.amount);
        if !tax.jurisdiction.is_empty() {
            line.description = Some(format!(
                "{} sales tax at {}",
                tax.jurisdiction,
                tax.rate.percent_text()
            ));
            line.breakdown = Some(vec![w::TaxBreakdownItem {
                jurisdiction: format!("US-{}", tax.jurisdiction),
                rate: tax.rate.as_fraction(),
                amount: tax.amount,
            }]);
        }
        out.push(line);
    }
    out.push(total(w::TotalType::Total, "Total", t.total));
    out
}

/// The id of the one payment handler this merchant offers.
pub const CARD_HANDLER_ID: &str = "card";

fn render_session(
    s: &Session,
    order: Option<&Order>,
    ctx: &RenderContext<'_>,
) -> w::CheckoutSession {
    let base = ctx.base_url;
    // Selections grouped by option, in the order options are offered.
    let mut by_option: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for line in &s.lines {
        if let Some(opt) = s.selections.get(&line.id) {
            by_option
                .entry(opt.as_str())
                .or_default()
                .push(line.id.clone());
        }
    }
    let selected: Vec<w::SelectedFulfillmentOption> = s
        .quotes
        .iter()
        .filter_map(|q| {
            by_option
                .get(q.id.as_str())
                .map(|ids| w::SelectedFulfillmentOption {
                    kind: match q.kind {
                        OptionKind::Shipping => w::FulfillmentType::Shipping,
                        OptionKind::Digital => w::FulfillmentType::Digital,
                    },
                    option_id: q.id.clone(),
                    item_ids: ids.clone(),
                })
        })
        .collect();
    let link = |kind, title: &str, path: &str| w::Link {
        kind,
        title: Some(title.to_owned()),
        url: format!("{base}/policies/{path}"),
    };
    w::CheckoutSession {
        id: s.id.clone(),
        protocol: Some(w::ProtocolVersion {
            version: ApiVersion::V2026_04_17.as_str().to_owned(),
        }),
        capabilities: w::Capabilities {
            payment: Some(w::Payment {
                handlers: vec![payment_handler(ctx)],
            }),
            interventions: Some(w::InterventionCapabilities {
                supported: Some(
                    s.interventions
                        .iter()
                        .map(|i| w::InterventionType::from(i.as_str()))
                        .collect(),
                ),
                required: Some(Vec::new()),
                enforcement: Some(w::Enforcement::Conditional),
                ..Default::default()
            }),
            extensions: None,
        },
        // Likewise a buyer whose (required) e-mail is invalid is left out until it is fixed.
        buyer: s
            .buyer
            .as_ref()
            .filter(|b| party::email_is_plausible(&b.email))
            .map(buyer_out),
        status: match s.status {
            Status::NotReadyForPayment => w::SessionStatus::NotReadyForPayment,
            Status::ReadyForPayment => w::SessionStatus::ReadyForPayment,
            Status::AuthenticationRequired => w::SessionStatus::AuthenticationRequired,
            Status::CompleteInProgress => w::SessionStatus::CompleteInProgress,
            Status::Completed => w::SessionStatus::Completed,
            Status::Canceled => w::SessionStatus::Canceled,
            Status::Expired => w::SessionStatus::Expired,
        },
        currency: s.currency.clone(),
        presentment_currency: None,
        exchange_rate: None,
        exchange_rate_timestamp: None,
        locale: s.locale.clone(),
        timezone: s.timezone.clone(),
        line_items: s.lines.iter().map(|l| line_item(l, base)).collect(),
        fulfillment_details: s.fulfillment.as_ref().map(fulfillment_out),
        fulfillment_options: s.quotes.iter().map(option_out).collect(),
        selected_fulfillment_options: (!selected.is_empty()).then_some(selected),
        fulfillment_groups: None,
        totals: session_totals(s),
        messages: s
            .messages
            .iter()
            .chain(&s.payment_messages)
            .map(message_out)
            .collect(),
        links: vec![
            link(w::LinkType::TermsOfUse, "Terms of use", "terms"),
            link(w::LinkType::PrivacyPolicy, "Privacy policy", "privacy"),
            link(w::LinkType::ReturnPolicy, "Return policy", "returns"),
            link(w::LinkType::ShippingPolicy, "Shipping policy", "shipping"),
        ],
        authentication_metadata: (s.status == Status::AuthenticationRequired)
            .then(|| s.payment.as_ref().and_then(|p| p.authentication.as_ref()))
            .flatten()
            .map(authentication_metadata_out),
        created_at: Some(s.created_at),
        updated_at: Some(s.updated_at),
        expires_at: Some(s.expires_at),
        continue_url: None,
        metadata: s.metadata.clone(),
        quote_id: s.quote_id.clone(),
        quote_expires_at: None,
        discounts: (!s.discount_codes.is_empty()).then(|| w::DiscountsResponse {
            codes: Some(s.discount_codes.clone()),
            applied: Some(Vec::new()),
            rejected: Some(
                s.discount_codes
                    .iter()
                    .map(|c| w::RejectedDiscount {
                        code: c.clone(),
                        reason: w::DiscountErrorCode::DiscountCodeInvalid,
                        message: Some(format!("The discount code {c} is not valid.")),
                    })
                    .collect(),
            ),
        }),
        marketing_consent_options: None,
        order: order.map(|o| order_out(o, ctx)),
    }
}

fn authentication_metadata_out(
    a: &crate::domain::payment::AuthenticationMetadata,
) -> w::AuthenticationMetadata {
    w::AuthenticationMetadata {
        acquirer_details: w::AcquirerDetails {
            acquirer_bin: a.acquirer_bin.chars().take(11).collect(),
            acquirer_country: a.acquirer_country.clone(),
            acquirer_merchant_id: a.acquirer_merchant_id.chars().take(35).collect(),
            merchant_name: a.merchant_name.chars().take(40).collect(),
            requestor_id: None,
        },
        directory_server: enum_from(&a.directory_server).unwrap_or(w::DirectoryServer::Visa),
        flow_preference: None,
        extra: serde_json::Map::new(),
    }
}

/// The 2026-04-17 rich order.
pub fn order_out(o: &Order, ctx: &RenderContext<'_>) -> w::Order {
    let permalink = format!("{}/orders/{}", ctx.base_url, o.id);
    w::Order {
        kind: Some(w::OrderObjectType::Order),
        id: o.id.clone(),
        checkout_session_id: o.session_id.clone(),
        order_number: Some(o.number.clone()),
        client_reference_id: None,
        permalink_url: permalink.clone(),
        status: Some(w::OrderStatus::from(o.status.as_str())),
        estimated_delivery: o.shipping.as_ref().and_then(|q| {
            Some(w::EstimatedDelivery {
                earliest: q.earliest?,
                latest: q.latest?,
            })
        }),
        confirmation: Some(w::OrderConfirmation {
            confirmation_number: Some(o.number.clone()),
            confirmation_email_sent: Some(false),
            receipt_url: Some(permalink),
            invoice_number: None,
            order_notes: o.notes.clone(),
        }),
        support: Some(w::SupportInfo {
            email: Some(ctx.merchant.support_email.clone()),
            phone: None,
            hours: None,
            help_center_url: Some(format!("{}/policies/returns", ctx.base_url)),
        }),
        line_items: Some(
            o.lines
                .iter()
                .map(|l| w::OrderLineItem {
                    id: l.id.clone(),
                    title: l.title.clone(),
                    product_id: Some(l.product_id.clone()),
                    description: None,
                    image_url: Some(format!("{}/images/{}.svg", ctx.base_url, l.variant_id)),
                    url: None,
                    quantity: w::OrderLineItemQuantity {
                        ordered: l.ordered,
                        current: l.current,
                        fulfilled: Some(l.fulfilled),
                    },
                    unit_price: Some(l.unit_price),
                    subtotal: Some(l.subtotal),
                    totals: None,
                    status: Some(w::OrderLineItemStatus::from(match () {
                        _ if l.current == 0 => "removed",
                        _ if l.fulfilled >= l.current => "fulfilled",
                        _ if l.fulfilled > 0 => "partial",
                        _ => "processing",
                    })),
                })
                .collect(),
        ),
        fulfillments: Some(o.fulfillments.iter().map(|f| parcel_out(o, f)).collect()),
        adjustments: Some(
            o.adjustments
                .iter()
                .map(|a| w::Adjustment {
                    id: a.id.clone(),
                    kind: match a.kind {
                        AdjustmentKind::Refund => w::AdjustmentType::Refund,
                        AdjustmentKind::Cancellation => w::AdjustmentType::Cancellation,
                    },
                    occurred_at: a.occurred_at,
                    status: match a.status {
                        AdjustmentStatus::Pending => w::AdjustmentStatus::Pending,
                        AdjustmentStatus::Completed => w::AdjustmentStatus::Completed,
                        AdjustmentStatus::Failed => w::AdjustmentStatus::Failed,
                    },
                    line_items: (!a.lines.is_empty()).then(|| line_refs(&a.lines)),
                    amount: a.amount,
                    currency: a.amount.map(|_| o.currency.clone()),
                    description: a.description.clone(),
                    reason: a.reason.clone(),
                })
                .collect(),
        ),
        totals: Some({
            let mut totals = totals_out(&o.totals, o.lines.iter().any(|l| !l.digital));
            if o.refunded() > 0 {
                totals.push(total(
                    w::TotalType::AmountRefunded,
                    "Refunded",
                    o.refunded(),
                ));
            }
            totals
        }),
    }
}

fn line_refs(lines: &[LineQty]) -> Vec<w::LineItemReference> {
    lines
        .iter()
        .map(|l| w::LineItemReference {
            id: l.id.clone(),
            quantity: l.quantity,
        })
        .collect()
}

fn parcel_out(o: &Order, f: &Fulfillment) -> w::Fulfillment {
    w::Fulfillment {
        id: f.id.clone(),
        kind: match f.kind {
            FulfillmentKind::Shipping => w::OrderFulfillmentType::Shipping,
            FulfillmentKind::Digital => w::OrderFulfillmentType::Digital,
        },
        status: Some(w::FulfillmentStatus::from(f.status.as_str())),
        line_items: Some(line_refs(&f.lines)),
        carrier: f.carrier.clone(),
        tracking_number: f.tracking_number.clone(),
        tracking_url: f.tracking_url.clone(),
        destination: match f.kind {
            FulfillmentKind::Shipping => o.ship_to.as_ref().map(address_out),
            FulfillmentKind::Digital => None,
        },
        estimated_delivery: match (f.kind, f.status) {
            (FulfillmentKind::Shipping, FulfillmentStatus::Shipped) => {
                o.shipping.as_ref().and_then(|q| {
                    Some(w::EstimatedDelivery {
                        earliest: q.earliest?,
                        latest: q.latest?,
                    })
                })
            }
            _ => None,
        },
        digital_delivery: f.digital.as_ref().map(|d| w::DigitalDelivery {
            access_url: Some(d.access_url.clone()),
            license_key: Some(d.license_key.clone()),
            expires_at: None,
        }),
        description: f.description.clone(),
        events: Some(
            f.events
                .iter()
                .map(|e| w::FulfillmentEvent {
                    id: e.id.clone(),
                    kind: w::FulfillmentEventType::from(e.kind.as_str()),
                    occurred_at: e.occurred_at,
                    description: e.description.clone(),
                    location: None,
                })
                .collect(),
        ),
    }
}
