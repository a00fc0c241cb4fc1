//! Version negotiation: from a broker's ApiVersions answer, the highest version of each API that
//! both sides support.

use super::ApiKey;
use super::messages::ApiVersionsResponse;
use std::fmt;

/// No version of an API is supported by both the broker and this crate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsupportedApi {
    /// The API.
    pub api: ApiKey,
    /// The versions this crate speaks.
    pub ours: (i16, i16),
    /// The versions the broker supports, or `None` when it does not list the API at all.
    pub broker: Option<(i16, i16)>,
    /// Which broker, when known (`host:port (id: N)`).
    pub node: Option<String>,
}

impl fmt::Display for UnsupportedApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.node {
            Some(n) => write!(f, "broker {n}")?,
            None => write!(f, "the broker")?,
        }
        match self.broker {
            Some((lo, hi)) => write!(
                f,
                " supports {} versions {lo}..={hi}, this client {}..={}: no common version",
                self.api, self.ours.0, self.ours.1
            ),
            None => write!(
                f,
                " does not support the {} API (this client needs versions {}..={})",
                self.api, self.ours.0, self.ours.1
            ),
        }
    }
}

impl std::error::Error for UnsupportedApi {}

/// The version chosen for each API this crate speaks, for one broker connection.
///
/// ```
/// use kafka_producer::protocol::messages::{ApiVersionRange, ApiVersionsResponse};
/// use kafka_producer::protocol::versions::ApiVersions;
/// use kafka_producer::protocol::ApiKey;
/// let broker = ApiVersionsResponse {
///     api_keys: vec![ApiVersionRange { api_key: 0, min_version: 3, max_version: 13 }],
///     ..Default::default()
/// };
/// let v = ApiVersions::from_response(&broker);
/// assert_eq!(v.version_for(ApiKey::Produce).unwrap(), 12); // our highest
/// assert!(v.version_for(ApiKey::Metadata).unwrap_err().to_string().contains("Metadata"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiVersions {
    broker: Vec<(ApiKey, i16, i16)>,
    /// The broker's finalized features: name and max level.
    finalized_features: Vec<(String, i16)>,
    finalized_features_epoch: i64,
}

impl Default for ApiVersions {
    fn default() -> Self {
        ApiVersions {
            broker: Vec::new(),
            finalized_features: Vec::new(),
            finalized_features_epoch: -1,
        }
    }
}

impl ApiVersions {
    /// Keeps the broker's ranges of the APIs this crate speaks, and its finalized features.
    pub fn from_response(resp: &ApiVersionsResponse) -> Self {
        let broker = resp
            .api_keys
            .iter()
            .filter_map(|r| ApiKey::from_i16(r.api_key).map(|k| (k, r.min_version, r.max_version)))
            .collect();
        let finalized_features = resp
            .finalized_features
            .iter()
            .map(|f| (f.name.clone(), f.max_version))
            .collect();
        ApiVersions {
            broker,
            finalized_features,
            finalized_features_epoch: resp.finalized_features_epoch,
        }
    }

    /// The finalized (cluster-wide) max level of feature `name`, e.g. `transaction.version`
    /// (KIP-1022), if the broker reported it (ApiVersions v3+).
    ///
    /// ```
    /// use kafka_producer::protocol::messages::ApiVersionsResponse;
    /// use kafka_producer::protocol::messages::api_versions::FeatureRange;
    /// use kafka_producer::protocol::versions::ApiVersions;
    /// let broker = ApiVersionsResponse {
    ///     finalized_features_epoch: 7,
    ///     finalized_features: vec![FeatureRange {
    ///         name: "transaction.version".into(),
    ///         min_version: 2,
    ///         max_version: 2,
    ///     }],
    ///     ..Default::default()
    /// };
    /// let v = ApiVersions::from_response(&broker);
    /// assert_eq!(v.finalized_feature("transaction.version"), Some(2));
    /// assert_eq!(v.finalized_feature("group.version"), None);
    /// assert_eq!(v.finalized_features_epoch(), 7);
    /// ```
    pub fn finalized_feature(&self, name: &str) -> Option<i16> {
        self.finalized_features
            .iter()
            .find(|(n, _)| n == name)
            .map(|&(_, level)| level)
    }

    /// The epoch of the finalized features, -1 when the broker did not report one (older than
    /// ApiVersions v3 or without finalized features). A higher epoch is a newer view.
    pub fn finalized_features_epoch(&self) -> i64 {
        self.finalized_features_epoch
    }

    /// The highest version of `api` both sides support.
    pub fn version_for(&self, api: ApiKey) -> Result<i16, UnsupportedApi> {
        let ours = api.supported_versions();
        let broker = self
            .broker
            .iter()
            .find(|(k, _, _)| *k == api)
            .map(|&(_, lo, hi)| (lo, hi));
        match broker {
            Some((lo, hi)) => {
                let top = hi.min(ours.1);
                if top >= lo.max(ours.0) {
                    Ok(top)
                } else {
                    Err(UnsupportedApi {
                        api,
                        ours,
                        broker,
                        node: None,
                    })
                }
            }
            None => Err(UnsupportedApi {
                api,
                ours,
                broker,
                node: None,
            }),
        }
    }

    /// Checks every API in `apis` at once (e.g. right after connecting).
    pub fn check(&self, apis: &[ApiKey]) -> Result<(), UnsupportedApi> {
        apis.iter()
            .try_for_each(|a| self.version_for(*a).map(|_| ()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::messages::ApiVersionRange;

    fn broker(ranges: &[(i16, i16, i16)]) -> ApiVersions {
        ApiVersions::from_response(&ApiVersionsResponse {
            api_keys: ranges
                .iter()
                .map(|&(k, lo, hi)| ApiVersionRange {
                    api_key: k,
                    min_version: lo,
                    max_version: hi,
                })
                .collect(),
            ..Default::default()
        })
    }

    #[test]
    fn picks_highest_common_version() {
        let v = broker(&[
            (0, 3, 10),
            (3, 0, 13),
            (17, 0, 1),
            (18, 0, 4),
            (22, 0, 6),
            (10, 0, 6),
            (24, 0, 5),
            (25, 0, 4),
            (26, 0, 5),
            (28, 0, 5),
            (36, 0, 2),
            (99, 0, 1),
        ]);
        assert_eq!(v.version_for(ApiKey::Produce), Ok(10));
        assert_eq!(v.version_for(ApiKey::Metadata), Ok(13));
        assert_eq!(v.version_for(ApiKey::ApiVersions), Ok(4));
        assert_eq!(v.version_for(ApiKey::InitProducerId), Ok(5));
        // Broker-to-broker AddPartitionsToTxn v4+ is not ours.
        assert_eq!(v.version_for(ApiKey::AddPartitionsToTxn), Ok(3));
        assert_eq!(v.version_for(ApiKey::EndTxn), Ok(5));
        assert!(v.check(&ApiKey::ALL).is_ok());
    }

    #[test]
    fn no_common_version_names_the_api() {
        // A broker older than Kafka 0.11 whose Produce stops at 2 (before record batch v2).
        let v = broker(&[(0, 0, 2)]);
        let e = v.version_for(ApiKey::Produce).unwrap_err();
        assert_eq!(e.broker, Some((0, 2)));
        // Kafka 2.1 (Produce v0-v7): v7 is spoken.
        assert_eq!(broker(&[(0, 0, 7)]).version_for(ApiKey::Produce), Ok(7));
        assert!(e.to_string().contains("Produce"), "{e}");
        // A broker newer than us: min above our max.
        let v = broker(&[(3, 14, 20)]);
        assert!(v.version_for(ApiKey::Metadata).is_err());
        // Missing entirely.
        let e = v.check(&[ApiKey::InitProducerId]).unwrap_err();
        assert_eq!(e.broker, None);
        assert!(e.to_string().contains("InitProducerId"));
    }

    #[test]
    fn finalized_features() {
        use crate::protocol::messages::Decode;
        use crate::protocol::messages::api_versions::FeatureRange;
        let feature = |name: &str, min, max| FeatureRange {
            name: name.into(),
            min_version: min,
            max_version: max,
        };
        let resp = ApiVersionsResponse {
            supported_features: vec![feature("transaction.version", 0, 2)],
            finalized_features_epoch: 42,
            finalized_features: vec![
                feature("metadata.version", 1, 27),
                feature("transaction.version", 1, 2),
            ],
            ..Default::default()
        };
        let v = ApiVersions::from_response(&resp);
        assert_eq!(v.finalized_features_epoch(), 42);
        assert_eq!(v.finalized_feature("transaction.version"), Some(2));
        assert_eq!(v.finalized_feature("metadata.version"), Some(27));
        assert_eq!(v.finalized_feature("group.version"), None);
        // Supported but not finalized features do not count.
        let only_supported = ApiVersions::from_response(&ApiVersionsResponse {
            supported_features: vec![feature("transaction.version", 0, 2)],
            ..Default::default()
        });
        assert_eq!(
            only_supported.finalized_feature("transaction.version"),
            None
        );
        // A broker without ApiVersions v3 reports nothing.
        let v0 = [0, 0, 0, 0, 0, 1, 0, 18, 0, 0, 0, 2];
        let v0 = ApiVersionsResponse::decode(0, &mut crate::protocol::Reader::new(&v0, "t"));
        let old = ApiVersions::from_response(&v0.unwrap());
        assert_eq!(old.finalized_features_epoch(), -1);
        assert_eq!(old.finalized_feature("transaction.version"), None);
        assert_eq!(ApiVersions::default().finalized_features_epoch(), -1);
    }
}
