//! Public pages an agent links to: product pages and images, the shop's policies, receipts.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

use crate::catalog::images;
use crate::domain::money::format_usd;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/images/{file}", get(image))
        .route("/policies/{name}", get(policy))
        .route("/products/{id}", get(product_page))
        .route("/orders/{id}", get(order_page))
}

async fn image(
    State(state): State<AppState>,
    Path(file): Path<String>,
) -> Result<Response, ApiError> {
    let entry = file
        .strip_suffix(".svg")
        .and_then(|id| state.catalog.variant(id))
        .ok_or(ApiError::RouteNotFound)?;
    let mut resp = images::variant_svg(entry).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("image/svg+xml"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    Ok(resp)
}

async fn policy(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Html<String>, ApiError> {
    let shop = &state.merchant.name;
    let (title, text) = match name.as_str() {
        "terms" => ("Terms of use", format!("Purchases from {shop} are governed by these demo terms. Prices are in US dollars and include sales tax where shown.")),
        "privacy" => ("Privacy policy", format!("{shop} uses your contact details only to fulfil your order. Card details never reach us: they stay with the payment provider.")),
        "returns" => ("Return policy", "Physical items can be returned unused within 30 days for a full refund. Digital downloads cannot be returned once delivered.".to_owned()),
        "shipping" => ("Shipping policy", "We ship to the 50 US states and DC. Standard shipping (5-7 business days) is free from $75; express (2-3) and overnight (1) are available; Alaska and Hawaii add 3 days and have no overnight option.".to_owned()),
        _ => return Err(ApiError::RouteNotFound),
    };
    Ok(Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title} - {shop}</title></head><body><h1>{title}</h1><p>{text}</p></body></html>",
        shop = html_escape(shop),
        text = html_escape(&text),
    )))
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A product's page (the feed's `Product.url` and `Variant.url`): its variants with their
/// prices. Stock is not shown: checkout is the authority on it.
async fn product_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Html<String>, ApiError> {
    let p = state.catalog.product(&id).ok_or(ApiError::RouteNotFound)?;
    let rows: String = p
        .variants
        .iter()
        .map(|v| {
            let price = match v.sale_price {
                Some(sale) => format!("{} <s>{}</s>", format_usd(sale), format_usd(v.price)),
                None => format_usd(v.price),
            };
            format!(
                "<tr id=\"{id}\"><td><img src=\"/images/{id}.svg\" width=\"96\" height=\"96\" alt=\"\"></td><td>{title}</td><td>{price}</td></tr>",
                id = html_escape(&v.id),
                title = html_escape(&v.title),
            )
        })
        .collect();
    Ok(Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title} - {shop}</title></head><body>\
         <h1>{title}</h1><p>{brand}</p><p>{description}</p><table>{rows}</table></body></html>",
        title = html_escape(&p.title),
        shop = html_escape(&state.merchant.name),
        brand = html_escape(&p.brand),
        description = html_escape(&p.description),
    )))
}

/// The order's permalink: what the buyer (or their agent) shows as the receipt. The id is
/// unguessable, as a receipt link usually is.
async fn order_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Html<String>, ApiError> {
    let o = store::orders::get(&state.db.read, &id)
        .await?
        .ok_or(ApiError::RouteNotFound)?
        .order;
    let lines: String = o
        .lines
        .iter()
        .map(|l| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                html_escape(&l.title),
                l.current,
                format_usd(l.subtotal)
            )
        })
        .collect();
    let delivery = o
        .shipping
        .as_ref()
        .and_then(|q| q.latest)
        .map_or_else(String::new, |d| {
            format!("<p>Arrives by {}.</p>", d.format("%A %-d %B"))
        });
    let parcels: String = o
        .fulfillments
        .iter()
        .map(|f| {
            let tracking = match (&f.carrier, &f.tracking_number, &f.tracking_url) {
                (Some(c), Some(n), Some(u)) => format!(
                    " {} <a href=\"{}\">{}</a>",
                    html_escape(c),
                    html_escape(u),
                    html_escape(n)
                ),
                (Some(c), Some(n), None) => format!(" {} {}", html_escape(c), html_escape(n)),
                _ => String::new(),
            };
            format!("<li>{}{tracking}</li>", f.status.as_str())
        })
        .collect();
    let parcels = if parcels.is_empty() {
        parcels
    } else {
        format!("<h2>Delivery</h2><ul>{parcels}</ul>")
    };
    let refunded = if o.refunded() > 0 {
        format!("<p>Refunded: {}</p>", format_usd(o.refunded()))
    } else {
        String::new()
    };
    Ok(Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Order {number}</title></head><body>\
         <h1>Order {number}</h1><p>Status: {status}. Paid with {brand} ending {last4}.</p>{delivery}\
         <table><tr><th>Item</th><th>Qty</th><th>Subtotal</th></tr>{lines}</table><p>Total: {total}</p>{refunded}{parcels}</body></html>",
        number = html_escape(&o.number),
        status = o.status.as_str(),
        brand = html_escape(&o.payment.brand),
        last4 = html_escape(&o.payment.last4),
        total = format_usd(o.totals.total),
    )))
}
