//! What `ternd plugins` prints: the loaded plugins and the refused libraries, as text for
//! people or JSON for scripts.

use std::fmt;
use std::path::Path;

use serde::Serialize;
use tern_plugin_api::payload::Manifest;

use super::{PluginHost, Refusal};

/// What `ternd plugins` prints: the same facts as text or, for scripts, as JSON.
#[derive(Debug, Serialize)]
pub struct HostReport<'a> {
    /// The directory searched.
    pub plugin_dir: &'a Path,
    /// Loaded plugins, in name order.
    pub plugins: Vec<LoadedReport<'a>>,
    /// Refused libraries, in file order.
    pub refused: &'a [Refusal],
}

/// One loaded plugin in a [`HostReport`].
#[derive(Debug, Serialize)]
pub struct LoadedReport<'a> {
    /// The library file.
    pub file: &'a Path,
    /// Its manifest, as the admin API shows it.
    #[serde(flatten)]
    pub manifest: &'a Manifest,
}

impl PluginHost {
    /// The listing `ternd plugins` prints.
    pub fn report(&self) -> HostReport<'_> {
        HostReport {
            plugin_dir: &self.dir,
            plugins: self
                .plugins()
                .map(|p| LoadedReport {
                    file: &p.file,
                    manifest: &p.manifest,
                })
                .collect(),
            refused: &self.refused,
        }
    }
}

impl fmt::Display for HostReport<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "plugin directory: {}", self.plugin_dir.display())?;
        writeln!(f, "loaded: {}", self.plugins.len())?;
        for p in &self.plugins {
            let m = p.manifest;
            writeln!(
                f,
                "  {} {} (ABI {}) from {}",
                m.name,
                m.version,
                m.abi,
                file_name(p.file)
            )?;
            if !m.description.is_empty() {
                writeln!(f, "    {}", m.description)?;
            }
            for field in &m.config {
                let mut marks = Vec::new();
                if field.required {
                    marks.push("required");
                }
                if field.secret {
                    marks.push("secret");
                }
                let marks = if marks.is_empty() {
                    String::new()
                } else {
                    format!(" [{}]", marks.join(", "))
                };
                writeln!(f, "    config {}{marks}: {}", field.name, field.label)?;
            }
            let c = m.callbacks;
            let kinds: Vec<&str> = [
                (c.delivery, "delivery"),
                (c.clicks, "clicks"),
                (c.replies, "replies"),
            ]
            .into_iter()
            .filter_map(|(on, name)| on.then_some(name))
            .collect();
            let kinds = if kinds.is_empty() {
                "none".to_owned()
            } else {
                kinds.join(", ")
            };
            writeln!(f, "    callbacks: {kinds}")?;
        }
        writeln!(f, "refused: {}", self.refused.len())?;
        for r in self.refused {
            writeln!(f, "  {}: {}", file_name(&r.file), r.reason)?;
        }
        Ok(())
    }
}

fn file_name(path: &Path) -> std::borrow::Cow<'_, str> {
    path.file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_else(|| path.to_string_lossy())
}
