//! The fuzz targets: every parser of untrusted input in the workspace.

pub mod formats;
pub mod kpl;
pub mod options;
pub mod wire;

use crate::driver::Target;

/// Every target, in the order a run visits them.
pub fn all() -> Vec<Box<dyn Target>> {
    let mut out: Vec<Box<dyn Target>> = vec![Box::new(options::Ddl), Box::new(options::OptionMaps)];
    for f in formats::targets() {
        out.push(Box::new(f));
    }
    out.push(Box::new(kpl::Kpl));
    out.push(Box::new(wire::GetRecords));
    out.push(Box::new(wire::PutRecords));
    out.push(Box::new(wire::StsXml));
    out.push(Box::new(wire::ContainerJson));
    out.push(Box::new(wire::SsoJson));
    out.push(Box::new(wire::ProfileIni));
    out
}

/// The target called `name`.
pub fn by_name(name: &str) -> Option<Box<dyn Target>> {
    all().into_iter().find(|t| t.name() == name)
}
