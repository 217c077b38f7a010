//! The HTTP client of `vitals --server URL`: the same [`Api`] as the local
//! service, over the server's routes, so every command works on both.

use crate::runtime::Limits;
use crate::scoring::Summary;
use crate::server::{MAPPING_HEADER, WhoAmI};
use crate::service::*;
use crate::store::{Activation, IngestReport, InstalledPlugin, RunRecord};
use reqwest::blocking::{Client as Http, RequestBuilder};
use reqwest::{Method, Url};
use serde::de::DeserializeOwned;

/// A server and the key to speak to it with.
pub struct Client {
    base: Url,
    key: String,
    http: Http,
}

impl Client {
    /// A client of the server at `base` (`http://127.0.0.1:7878`).
    pub fn new(base: &str, key: &str) -> ApiResult<Client> {
        let base = Url::parse(base)
            .map_err(|e| ApiError::bad_request(format!("--server {base:?}: {e}")))?;
        if base.cannot_be_a_base() || !matches!(base.scheme(), "http" | "https") {
            return Err(ApiError::bad_request(format!(
                "--server {base}: not an http(s) URL"
            )));
        }
        let http = Http::builder()
            // Runs and shadow runs answer when done: no overall timeout.
            .timeout(None)
            .connect_timeout(std::time::Duration::from_secs(10))
            .build()
            .map_err(|e| ApiError::internal(format!("HTTP client: {e}")))?;
        Ok(Client {
            base,
            key: key.trim().to_string(),
            http,
        })
    }

    fn request(&self, method: Method, segments: &[&str]) -> RequestBuilder {
        let mut url = self.base.clone();
        url.path_segments_mut()
            .expect("checked: a base URL")
            .pop_if_empty()
            .extend(segments);
        self.http.request(method, url).bearer_auth(&self.key)
    }

    fn tenant_request(&self, method: Method, tenant: &str, rest: &[&str]) -> RequestBuilder {
        let mut segments = vec!["v1", "tenants", tenant];
        segments.extend_from_slice(rest);
        self.request(method, &segments)
    }

    fn send<T: DeserializeOwned>(&self, request: RequestBuilder) -> ApiResult<T> {
        let bytes = self.send_bytes(request)?;
        let body: &[u8] = if bytes.is_empty() { b"null" } else { &bytes };
        serde_json::from_slice(body).map_err(|e| {
            ApiError::internal(format!(
                "the server's answer is not what this client expects: {e}"
            ))
        })
    }

    /// Sends a request; a success's body as it came, an error's as an [`ApiError`].
    fn send_bytes(&self, request: RequestBuilder) -> ApiResult<Vec<u8>> {
        let response = request.send().map_err(|e| {
            ApiError::new(
                503,
                "unreachable",
                format!("the server at {} did not answer: {e}", self.base),
            )
        })?;
        let status = response.status();
        let bytes = response
            .bytes()
            .map_err(|e| ApiError::new(503, "unreachable", format!("reading the answer: {e}")))?;
        if status.is_success() {
            return Ok(bytes.to_vec());
        }
        let body: ErrorBody = serde_json::from_slice(&bytes).unwrap_or_else(|_| ErrorBody {
            code: "error".into(),
            message: String::from_utf8_lossy(&bytes).into_owned(),
            about: None,
        });
        Err(ApiError {
            status: status.as_u16(),
            body,
            detail: None,
        })
    }

    /// Who the key is.
    pub fn whoami(&self) -> ApiResult<WhoAmI> {
        self.send(self.request(Method::GET, &["v1", "whoami"]))
    }

    /// Issues a tenant key (operator).
    pub fn issue_key(&self, tenant: &str, req: &IssueKey) -> ApiResult<IssuedKey> {
        self.send(
            self.tenant_request(Method::POST, tenant, &["keys"])
                .json(req),
        )
    }

    /// A tenant's keys (operator).
    pub fn keys(&self, tenant: &str) -> ApiResult<Vec<KeyInfo>> {
        self.send(self.tenant_request(Method::GET, tenant, &["keys"]))
    }

    /// Revokes a key (operator).
    pub fn revoke_key(&self, tenant: &str, id: &str) -> ApiResult<()> {
        self.send::<serde_json::Value>(self.tenant_request(Method::DELETE, tenant, &["keys", id]))
            .map(|_| ())
    }
}

impl Client {
    /// An ingest request, the body streamed (chunked): the file is never
    /// read whole into memory.
    fn ingest_request(
        &self,
        tenant: &str,
        body: Box<dyn std::io::Read + Send>,
        req: &IngestRequest,
        dry_run: bool,
    ) -> RequestBuilder {
        let mut r = self
            .tenant_request(Method::POST, tenant, &["ingest"])
            .query(&IngestQuery::of(req, dry_run))
            .body(reqwest::blocking::Body::new(body));
        if let Some(json) = req.mapping.as_ref().and_then(IngestMapping::custom_json) {
            r = r.header(MAPPING_HEADER, json);
        }
        r
    }
}

impl Api for Client {
    fn tenants(&self) -> ApiResult<Vec<TenantInfo>> {
        self.send(self.request(Method::GET, &["v1", "tenants"]))
    }

    fn create_tenant(&self, req: &CreateTenant) -> ApiResult<TenantInfo> {
        self.send(self.request(Method::POST, &["v1", "tenants"]).json(req))
    }

    fn delete_tenant(&self, tenant: &str) -> ApiResult<crate::store::TenantDeleted> {
        self.send(self.tenant_request(Method::DELETE, tenant, &[]))
    }

    fn operator_audit(&self) -> ApiResult<Vec<crate::store::AuditRecord>> {
        self.send(self.request(Method::GET, &["v1", "audit"]))
    }

    fn limits(&self, tenant: &str) -> ApiResult<Limits> {
        self.send(self.tenant_request(Method::GET, tenant, &["limits"]))
    }

    fn set_limits(&self, tenant: &str, patch: Option<&LimitsPatch>) -> ApiResult<Limits> {
        match patch {
            Some(p) => self.send(
                self.tenant_request(Method::PUT, tenant, &["limits"])
                    .json(p),
            ),
            None => self.send(self.tenant_request(Method::DELETE, tenant, &["limits"])),
        }
    }

    fn ingest(
        &self,
        tenant: &str,
        body: Box<dyn std::io::Read + Send>,
        req: &IngestRequest,
    ) -> ApiResult<IngestReport> {
        self.send(self.ingest_request(tenant, body, req, false))
    }

    fn ingest_preview(
        &self,
        tenant: &str,
        body: Box<dyn std::io::Read + Send>,
        req: &IngestRequest,
    ) -> ApiResult<crate::ingest::IngestPreview> {
        self.send(self.ingest_request(tenant, body, req, true))
    }

    fn plugins(&self, tenant: &str) -> ApiResult<Vec<InstalledPlugin>> {
        self.send(self.tenant_request(Method::GET, tenant, &["plugins"]))
    }

    fn plugin(&self, tenant: &str, name: &str, version: Option<&str>) -> ApiResult<PluginDetail> {
        let mut r = self.tenant_request(Method::GET, tenant, &["plugins", name]);
        if let Some(v) = version {
            r = r.query(&[("version", v)]);
        }
        self.send(r)
    }

    fn add_plugin(&self, tenant: &str, bytes: Vec<u8>, activate: bool) -> ApiResult<Activation> {
        self.send(
            self.tenant_request(Method::POST, tenant, &["plugins"])
                .query(&[("activate", activate)])
                .header(reqwest::header::CONTENT_TYPE, "application/wasm")
                .body(bytes),
        )
    }

    fn activate(&self, tenant: &str, name: &str, version: &str) -> ApiResult<Activation> {
        self.send(
            self.tenant_request(Method::POST, tenant, &["plugins", name, "activate"])
                .json(&Activate {
                    version: version.into(),
                }),
        )
    }

    fn rollback(&self, tenant: &str, name: &str) -> ApiResult<Activation> {
        self.send(self.tenant_request(Method::POST, tenant, &["plugins", name, "rollback"]))
    }

    fn deactivate(&self, tenant: &str, name: &str) -> ApiResult<InstalledPlugin> {
        self.send(self.tenant_request(Method::POST, tenant, &["plugins", name, "deactivate"]))
    }

    fn export_plugin(
        &self,
        tenant: &str,
        name: &str,
        version: Option<&str>,
    ) -> ApiResult<PluginComponent> {
        // The version first (the active one may change between two
        // requests; a version's bytes never do), then its bytes.
        let plugin = self.plugin(tenant, name, version)?.plugin;
        let bytes = self.send_bytes(
            self.tenant_request(Method::GET, tenant, &["plugins", name, "component"])
                .query(&[("version", &plugin.version)]),
        )?;
        Ok(PluginComponent { plugin, bytes })
    }

    fn config(&self, tenant: &str, name: &str) -> ApiResult<serde_json::Value> {
        self.send(self.tenant_request(Method::GET, tenant, &["plugins", name, "config"]))
    }

    fn set_config(
        &self,
        tenant: &str,
        name: &str,
        config: &serde_json::Value,
    ) -> ApiResult<ConfigSet> {
        self.send(
            self.tenant_request(Method::PUT, tenant, &["plugins", name, "config"])
                .json(config),
        )
    }

    fn run(
        &self,
        tenant: &str,
        req: &RunRequest,
        _progress: &mut dyn FnMut(u64),
    ) -> ApiResult<Vec<RunRecord>> {
        self.send(
            self.tenant_request(Method::POST, tenant, &["runs"])
                .json(req),
        )
    }

    fn runs(&self, tenant: &str) -> ApiResult<Vec<RunRecord>> {
        self.send(self.tenant_request(Method::GET, tenant, &["runs"]))
    }

    fn run_record(&self, tenant: &str, id: u64) -> ApiResult<RunRecord> {
        self.send(self.tenant_request(Method::GET, tenant, &["runs", &id.to_string()]))
    }

    fn results(&self, tenant: &str, id: u64, page: Page) -> ApiResult<ResultsPage> {
        self.send(
            self.tenant_request(Method::GET, tenant, &["runs", &id.to_string(), "results"])
                .query(&page),
        )
    }

    fn summary(&self, tenant: &str, query: &SummaryQuery) -> ApiResult<Summary> {
        self.send(
            self.tenant_request(Method::GET, tenant, &["summary"])
                .query(query),
        )
    }

    fn discard_run(&self, tenant: &str, id: u64, req: &DiscardRun) -> ApiResult<RunRecord> {
        self.send(
            self.tenant_request(Method::POST, tenant, &["runs", &id.to_string(), "discard"])
                .json(req),
        )
    }

    fn forecast(&self, tenant: &str, from: Option<i32>, days: i32) -> ApiResult<ForecastView> {
        let mut r = self
            .tenant_request(Method::GET, tenant, &["forecast"])
            .query(&[("days", days)]);
        if let Some(f) = from {
            r = r.query(&[("from", vitals_plugin_sdk::date::format(f))]);
        }
        self.send(r)
    }

    fn account(&self, tenant: &str, id: &str) -> ApiResult<AccountDetail> {
        self.send(self.tenant_request(Method::GET, tenant, &["accounts", id]))
    }

    fn delete_account(&self, tenant: &str, id: &str) -> ApiResult<crate::store::AccountErased> {
        self.send(self.tenant_request(Method::DELETE, tenant, &["accounts", id]))
    }

    fn audit(&self, tenant: &str) -> ApiResult<Vec<crate::store::AuditRecord>> {
        self.send(self.tenant_request(Method::GET, tenant, &["audit"]))
    }

    fn score(&self, tenant: &str, id: &str, as_of: Option<i32>) -> ApiResult<ScoreReport> {
        let mut r = self.tenant_request(Method::POST, tenant, &["accounts", id, "score"]);
        if let Some(d) = as_of {
            r = r.query(&[("as_of", vitals_plugin_sdk::date::format(d))]);
        }
        self.send(r)
    }

    fn shadow(&self, tenant: &str, req: &ShadowRequest) -> ApiResult<ShadowReport> {
        self.send(
            self.tenant_request(Method::POST, tenant, &["shadow-runs"])
                .json(req),
        )
    }

    fn shadow_reports(&self, tenant: &str) -> ApiResult<Vec<ShadowReport>> {
        self.send(self.tenant_request(Method::GET, tenant, &["shadow-runs"]))
    }
}

impl PackApi for Client {
    fn packs(&self, tenant: &str) -> ApiResult<Vec<PackSummary>> {
        self.send(self.tenant_request(Method::GET, tenant, &["packs"]))
    }

    fn pack(&self, tenant: &str, name: &str, version: Option<&str>) -> ApiResult<PackDetail> {
        let mut request = self.tenant_request(Method::GET, tenant, &["packs", name]);
        if let Some(v) = version {
            request = request.query(&[("version", v)]);
        }
        self.send(request)
    }

    fn install_pack(
        &self,
        tenant: &str,
        bytes: Vec<u8>,
        q: &PackInstallQuery,
    ) -> ApiResult<PackInstalled> {
        self.send(
            self.tenant_request(Method::POST, tenant, &["packs"])
                .query(q)
                .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
                .body(bytes),
        )
    }

    fn activate_pack(
        &self,
        tenant: &str,
        name: &str,
        version: &str,
    ) -> ApiResult<crate::store::PackChange> {
        self.send(
            self.tenant_request(Method::POST, tenant, &["packs", name, "activate"])
                .json(&serde_json::json!({ "version": version })),
        )
    }

    fn rollback_pack(&self, tenant: &str, name: &str) -> ApiResult<crate::store::PackChange> {
        self.send(self.tenant_request(Method::POST, tenant, &["packs", name, "rollback"]))
    }

    fn tune_pack(
        &self,
        tenant: &str,
        name: &str,
        plugin: &str,
        req: &PackTune,
    ) -> ApiResult<PackTuned> {
        self.send(
            self.tenant_request(
                Method::PUT,
                tenant,
                &["packs", name, "plugins", plugin, "patch"],
            )
            .json(req),
        )
    }

    fn shadow_pack(&self, tenant: &str, name: &str, version: &str) -> ApiResult<Vec<ShadowReport>> {
        self.send(
            self.tenant_request(Method::POST, tenant, &["packs", name, "shadow"])
                .json(&serde_json::json!({ "version": version })),
        )
    }

    fn trust_list(&self) -> ApiResult<TrustList> {
        self.send(self.request(Method::GET, &["v1", "trust"]))
    }

    fn trust_key(&self, req: &TrustKeyRequest) -> ApiResult<crate::store::TrustedKey> {
        self.send(
            self.request(Method::POST, &["v1", "trust", "keys"])
                .json(req),
        )
    }

    fn remove_trusted_key(&self, key_id: &str) -> ApiResult<crate::store::TrustedKey> {
        self.send(self.request(Method::DELETE, &["v1", "trust", "keys", key_id]))
    }

    fn revoke(&self, req: &RevokeRequest) -> ApiResult<TrustList> {
        self.send(
            self.request(Method::POST, &["v1", "trust", "revocations"])
                .json(req),
        )
    }

    fn set_allow_unsigned(&self, allow: bool) -> ApiResult<TrustList> {
        self.send(
            self.request(Method::PUT, &["v1", "trust", "unsigned"])
                .json(&AllowUnsigned { allow }),
        )
    }
}

impl WebhookApi for Client {
    fn webhooks(&self, tenant: &str) -> ApiResult<Vec<WebhookView>> {
        self.send(self.tenant_request(Method::GET, tenant, &["webhooks"]))
    }

    fn add_webhook(&self, tenant: &str, req: &AddWebhook) -> ApiResult<WebhookSecret> {
        self.send(
            self.tenant_request(Method::POST, tenant, &["webhooks"])
                .json(req),
        )
    }

    fn remove_webhook(&self, tenant: &str, name: &str) -> ApiResult<WebhookView> {
        self.send(self.tenant_request(Method::DELETE, tenant, &["webhooks", name]))
    }

    fn rotate_webhook_secret(
        &self,
        tenant: &str,
        name: &str,
        req: &RotateSecret,
    ) -> ApiResult<WebhookSecret> {
        self.send(
            self.tenant_request(Method::POST, tenant, &["webhooks", name, "rotate-secret"])
                .json(req),
        )
    }

    fn enable_webhook(&self, tenant: &str, name: &str) -> ApiResult<WebhookView> {
        self.send(self.tenant_request(Method::POST, tenant, &["webhooks", name, "enable"]))
    }

    fn deliveries(&self, tenant: &str, q: &DeliveryQuery) -> ApiResult<Vec<DeliveryView>> {
        self.send(
            self.tenant_request(Method::GET, tenant, &["deliveries"])
                .query(q),
        )
    }

    fn replay(&self, tenant: &str, req: &ReplayRequest) -> ApiResult<Replayed> {
        self.send(
            self.tenant_request(Method::POST, tenant, &["deliveries", "replay"])
                .json(req),
        )
    }
}

impl TriggerApi for Client {
    fn triggers(&self, tenant: &str) -> ApiResult<Vec<crate::store::RuleVersion>> {
        self.send(self.tenant_request(Method::GET, tenant, &["triggers"]))
    }

    fn trigger_versions(
        &self,
        tenant: &str,
        name: &str,
    ) -> ApiResult<Vec<crate::store::RuleVersion>> {
        self.send(self.tenant_request(Method::GET, tenant, &["triggers", name, "versions"]))
    }

    fn put_trigger(&self, tenant: &str, rule: &serde_json::Value) -> ApiResult<TriggerSaved> {
        self.send(
            self.tenant_request(Method::POST, tenant, &["triggers"])
                .json(rule),
        )
    }

    fn remove_trigger(&self, tenant: &str, name: &str) -> ApiResult<crate::store::RuleVersion> {
        self.send(self.tenant_request(Method::DELETE, tenant, &["triggers", name]))
    }

    fn test_trigger(
        &self,
        tenant: &str,
        name: &str,
        q: &TriggerTestQuery,
    ) -> ApiResult<TriggerTest> {
        self.send(
            self.tenant_request(Method::POST, tenant, &["triggers", name, "test"])
                .query(q),
        )
    }

    fn events(
        &self,
        tenant: &str,
        filter: &crate::store::EventFilter,
    ) -> ApiResult<Vec<crate::triggers::Event>> {
        self.send(
            self.tenant_request(Method::GET, tenant, &["events"])
                .query(filter),
        )
    }
}
