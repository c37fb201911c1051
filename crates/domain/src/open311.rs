//! Parsing an Open311 GeoReport v2 "POST service request" form
//! (anchors.md §3.3.3) into what intake needs. Pure, so it can be fuzzed.

use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceRequest {
    pub service_code: String,
    pub description: String,
    /// Family name + given name, if any.
    pub name: Option<String>,
    pub phone: Option<String>,
    pub address_string: Option<String>,
    /// A 行政区划 code given as `address_id`.
    pub division: Option<String>,
    /// `attribute[category]`: suggestion, accusation or claim.
    pub category: Option<String>,
    /// `attribute[request]`: the petitioner's request, if given apart.
    pub request: Option<String>,
}

/// Why a form was refused (Open311 answers 400 with this description).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FormError(pub String);

pub const MAX_DESCRIPTION: usize = 4000;

/// Parse the form fields (api_key is checked elsewhere). An empty optional
/// field is the same as a missing one (§3.1).
pub fn parse_request(form: &HashMap<String, String>) -> Result<ServiceRequest, FormError> {
    let get = |k: &str| form.get(k).map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let bounded = |k: &str, max: usize| -> Result<Option<String>, FormError> {
        match get(k) {
            Some(v) if v.chars().count() > max => Err(FormError(format!("{k} 过长（不超过{max}字）"))),
            v => Ok(v),
        }
    };
    let service_code = bounded("service_code", 32)?.ok_or_else(|| FormError("缺少 service_code".into()))?;
    let description = bounded("description", MAX_DESCRIPTION)?.ok_or_else(|| FormError("缺少 description（信访内容）".into()))?;
    let (lat, long) = (get("lat"), get("long"));
    let coords_ok = match (&lat, &long) {
        (Some(a), Some(b)) => {
            a.parse::<f64>().is_ok_and(|v| (-90.0..=90.0).contains(&v)) && b.parse::<f64>().is_ok_and(|v| (-180.0..=180.0).contains(&v))
        }
        _ => false,
    };
    let address_string = bounded("address_string", 300)?;
    let address_id = bounded("address_id", 64)?;
    if !coords_ok && address_string.is_none() && address_id.is_none() {
        return Err(FormError("须提供位置：有效的 lat 和 long、address_string 或 address_id 之一".into()));
    }
    let name = format!("{}{}", bounded("last_name", 50)?.unwrap_or_default(), bounded("first_name", 50)?.unwrap_or_default());
    Ok(ServiceRequest {
        service_code,
        description,
        name: Some(name).filter(|n| !n.is_empty()),
        phone: bounded("phone", 30)?,
        division: address_id.filter(|c| crate::petition::valid_division_code(c)),
        address_string,
        category: bounded("attribute[category]", 20)?,
        request: bounded("attribute[request]", 4000)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn required_fields_and_location() {
        let ok = parse_request(&form(&[
            ("service_code", "0202"),
            ("description", "欠薪"),
            ("address_id", "440304"),
            ("last_name", "陈"),
            ("first_name", "十一"),
        ]))
        .expect("ok");
        assert_eq!(ok.name.as_deref(), Some("陈十一"));
        assert_eq!(ok.division.as_deref(), Some("440304"));
        assert!(parse_request(&form(&[("service_code", "0202"), ("description", "欠薪")])).is_err(), "no location");
        assert!(parse_request(&form(&[("service_code", "0202"), ("description", "欠薪"), ("lat", "91"), ("long", "1")])).is_err());
        assert!(parse_request(&form(&[("service_code", "0202"), ("description", "欠薪"), ("lat", "22.5"), ("long", "114.0")])).is_ok());
        assert!(parse_request(&form(&[("description", "欠薪"), ("address_string", "x")])).is_err());
        let long = "长".repeat(MAX_DESCRIPTION + 1);
        assert!(parse_request(&form(&[("service_code", "1"), ("description", &long), ("address_string", "x")])).is_err());
    }
}
