//! The official JSON Schema bundles, compiled into validators (feature `schema`).
//!
//! Every version's bundle uses the same `$id`, so each version gets its own validators and no
//! shared registry: loading two versions into one registry would silently resolve one
//! version's `$ref`s against the other's definitions.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::Value;

use crate::api_version::ApiVersion;

/// One JSON Schema bundle of a version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bundle {
    /// `schema.agentic_checkout.json`: sessions, requests, orders, discovery, `Error`.
    Checkout,
    /// `schema.delegate_payment.json`.
    DelegatePayment,
    /// `schema.delegate_authentication.json`.
    DelegateAuthentication,
    /// `schema.feed.json`.
    Feed,
}

/// A body that does not validate, with every violation and where it is.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{version} {bundle:?}#/$defs/{def}: {}", .errors.join("; "))]
pub struct SchemaViolation {
    pub version: ApiVersion,
    pub bundle: Bundle,
    pub def: String,
    pub errors: Vec<String>,
}

/// The validators of one API version, compiled on first use and cached.
pub struct Schemas {
    version: ApiVersion,
    bundles: HashMap<Bundle, Value>,
    compiled: Mutex<HashMap<(Bundle, String), Arc<jsonschema::Validator>>>,
}

/// The validators for `version`.
pub fn schemas(version: ApiVersion) -> &'static Schemas {
    static V2026_04_17: OnceLock<Schemas> = OnceLock::new();
    match version {
        ApiVersion::V2026_04_17 => V2026_04_17.get_or_init(|| {
            Schemas::load(
                version,
                &[
                    (Bundle::Checkout, include_str!("../../spec/acp/2026-04-17/json-schema/schema.agentic_checkout.json")),
                    (Bundle::DelegatePayment, include_str!("../../spec/acp/2026-04-17/json-schema/schema.delegate_payment.json")),
                    (Bundle::DelegateAuthentication, include_str!("../../spec/acp/2026-04-17/json-schema/schema.delegate_authentication.json")),
                    (Bundle::Feed, include_str!("../../spec/acp/2026-04-17/json-schema/schema.feed.json")),
                ],
            )
        }),
    }
}

impl Schemas {
    fn load(version: ApiVersion, sources: &[(Bundle, &str)]) -> Self {
        let bundles = sources
            .iter()
            .map(|(bundle, text)| {
                // The files are vendored and checked by this crate's tests: a parse failure is a
                // broken checkout, not a runtime condition.
                #[allow(clippy::expect_used)]
                let value = serde_json::from_str(text).expect("vendored schema is valid JSON");
                (*bundle, value)
            })
            .collect();
        Self {
            version,
            bundles,
            compiled: Mutex::default(),
        }
    }

    /// Whether `def` is defined in `bundle`.
    pub fn has_def(&self, bundle: Bundle, def: &str) -> bool {
        self.bundles
            .get(&bundle)
            .and_then(|b| b.get("$defs"))
            .and_then(|d| d.get(def))
            .is_some()
    }

    /// Validates `instance` against `#/$defs/{def}` of `bundle`, formats included.
    pub fn validate(
        &self,
        bundle: Bundle,
        def: &str,
        instance: &Value,
    ) -> Result<(), SchemaViolation> {
        let violation = |errors| SchemaViolation {
            version: self.version,
            bundle,
            def: def.to_owned(),
            errors,
        };
        let validator = self
            .validator(bundle, def)
            .map_err(|e| violation(vec![e]))?;
        let errors: Vec<String> = validator
            .iter_errors(instance)
            .map(|e| format!("at {:?}: {e}", e.instance_path().as_str()))
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(violation(errors))
        }
    }

    fn validator(&self, bundle: Bundle, def: &str) -> Result<Arc<jsonschema::Validator>, String> {
        let key = (bundle, def.to_owned());
        let mut compiled = self.compiled.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(v) = compiled.get(&key) {
            return Ok(v.clone());
        }
        if !self.has_def(bundle, def) {
            return Err(format!("no definition {def} in {bundle:?}"));
        }
        // The bundle itself, entered through a root `$ref`, so that every internal reference
        // resolves against this version's definitions.
        let mut root = self.bundles[&bundle].clone();
        if let Value::Object(map) = &mut root {
            map.insert("$ref".into(), Value::String(format!("#/$defs/{def}")));
        }
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(true)
            .build(&root)
            .map_err(|e| format!("schema does not compile: {e}"))?;
        let validator = Arc::new(validator);
        compiled.insert(key, validator.clone());
        Ok(validator)
    }
}

/// Validates a `GET /delegate_authentication/{id}` body.
///
/// The 2026-04-17 `DelegateAuthenticationSessionWithResult` cannot accept any body that has an
/// `authentication_result` (an `allOf` whose first part forbids extra properties), so the body is
/// checked as the definition evidently means: the session without the result against
/// `DelegateAuthenticationSessionBase`, and the result against `AuthenticationResult`.
pub fn validate_delegate_authentication_session(
    version: ApiVersion,
    body: &Value,
) -> Result<(), SchemaViolation> {
    let s = schemas(version);
    let mut base = body.clone();
    let result = base
        .as_object_mut()
        .and_then(|m| m.remove("authentication_result"));
    s.validate(
        Bundle::DelegateAuthentication,
        "DelegateAuthenticationSessionBase",
        &base,
    )?;
    if let Some(result) = result {
        s.validate(
            Bundle::DelegateAuthentication,
            "AuthenticationResult",
            &result,
        )?;
    }
    Ok(())
}

/// Checks an order webhook body, `WebhookEvent` of `openapi.agentic_checkout_webhook.yaml`:
/// exactly `type` (a string, open) and `data`; `data` an `Order` of the checkout schema with
/// `type`, `checkout_session_id`, `permalink_url` and `status` required (`EventDataOrder`). That
/// file is OpenAPI only, so its two small definitions are checked here and `Order` by the
/// checkout bundle.
pub fn validate_webhook_event(version: ApiVersion, body: &Value) -> Result<(), SchemaViolation> {
    let violation = |errors: Vec<String>| SchemaViolation {
        version,
        bundle: Bundle::Checkout,
        def: "WebhookEvent".into(),
        errors,
    };
    let Some(event) = body.as_object() else {
        return Err(violation(vec!["the event is not an object".into()]));
    };
    let mut errors: Vec<String> = event
        .keys()
        .filter(|k| *k != "type" && *k != "data")
        .map(|k| format!("unexpected property {k:?}"))
        .collect();
    if !event.get("type").is_some_and(Value::is_string) {
        errors.push("`type` must be a string".into());
    }
    match event.get("data").and_then(Value::as_object) {
        None => errors.push("`data` must be an object".into()),
        Some(data) => {
            for field in ["type", "checkout_session_id", "permalink_url", "status"] {
                if !data.contains_key(field) {
                    errors.push(format!("`data.{field}` is required"));
                }
            }
        }
    }
    if !errors.is_empty() {
        return Err(violation(errors));
    }
    schemas(version).validate(Bundle::Checkout, "Order", &body["data"])
}

/// Checks a `PATCH /feeds/{id}/products` answer. `UpsertProductsResponse` is defined only in
/// `openapi.feed.yaml` (the JSON Schema bundle lacks it): exactly `id` (string) and `accepted`
/// (boolean), both required.
pub fn validate_upsert_products_response(
    version: ApiVersion,
    body: &Value,
) -> Result<(), SchemaViolation> {
    let mut errors = Vec::new();
    match body.as_object() {
        None => errors.push("the answer is not an object".to_owned()),
        Some(m) => {
            errors.extend(
                m.keys()
                    .filter(|k| *k != "id" && *k != "accepted")
                    .map(|k| format!("unexpected property {k:?}")),
            );
            if !m.get("id").is_some_and(Value::is_string) {
                errors.push("`id` must be a string".into());
            }
            if !m.get("accepted").is_some_and(Value::is_boolean) {
                errors.push("`accepted` must be a boolean".into());
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(SchemaViolation {
            version,
            bundle: Bundle::Feed,
            def: "UpsertProductsResponse".into(),
            errors,
        })
    }
}
