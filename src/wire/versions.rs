//! The versions API's shapes.

use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProductVersions {
    #[serde(rename = "ProductCode")]
    pub product_code: String,
    #[serde(rename = "LatestVersion")]
    pub latest_version: String,
    #[serde(rename = "SupportedVersions")]
    pub supported_versions: Vec<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct VersionSupport {
    #[serde(rename = "Supported")]
    pub supported: bool,
    #[serde(rename = "LatestVersion")]
    pub latest_version: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct VersionCheckRequest {
    #[serde(rename = "ProductCode")]
    pub product_code: String,
    #[serde(rename = "Version")]
    pub version: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct VersionCheckResult {
    #[serde(rename = "ProductCode")]
    pub product_code: String,
    #[serde(rename = "Version")]
    pub version: String,
    #[serde(rename = "Supported")]
    pub supported: bool,
    #[serde(rename = "LatestVersion")]
    pub latest_version: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BulkVersionCheck {
    #[serde(rename = "Supported")]
    pub supported: bool,
    #[serde(rename = "Versions")]
    pub versions: Vec<VersionCheckResult>,
}
