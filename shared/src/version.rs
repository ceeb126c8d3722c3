//! The checkout API's request and response types as a function of the API version.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::api_version::ApiVersion;

/// One ACP version's checkout wire types.
///
/// Clients and servers are generic over this trait, so supporting another version means adding
/// a module of models and one impl, not editing every call site.
pub trait CheckoutVersion: Send + Sync + 'static {
    const VERSION: ApiVersion;
    type CreateRequest: Serialize + DeserializeOwned + Send + Sync;
    type UpdateRequest: Serialize + DeserializeOwned + Send + Sync;
    type CompleteRequest: Serialize + DeserializeOwned + Send + Sync;
    type CancelRequest: Serialize + DeserializeOwned + Send + Sync;
    type Session: Serialize + DeserializeOwned + Send + Sync;
    type Discovery: Serialize + DeserializeOwned + Send + Sync;
}
