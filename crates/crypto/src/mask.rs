//! Masked display of personal data in lists and exports.

/// `440304199001011233` → `4403**********1233`.
pub fn id_number(id: &str) -> String {
    keep_ends(id, 4, 4)
}

/// `13800138000` → `138****8000`.
pub fn phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() < 7 {
        return "*".repeat(chars.len());
    }
    let head: String = chars.iter().take(3).collect();
    let tail: String = chars.iter().skip(chars.len() - 4).collect();
    format!("{head}****{tail}")
}

/// Keep the first six characters of an address (district level at most).
pub fn address(addr: &str) -> String {
    let head: String = addr.chars().take(6).collect();
    if addr.chars().count() > 6 { format!("{head}****") } else { head }
}

/// `张三丰` → `张**`.
pub fn name(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => format!("{first}{}", "*".repeat(chars.count().max(1))),
        None => String::new(),
    }
}

fn keep_ends(s: &str, head: usize, tail: usize) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= head + tail {
        return "*".repeat(chars.len());
    }
    let h: String = chars.iter().take(head).collect();
    let t: String = chars.iter().skip(chars.len() - tail).collect();
    format!("{h}{}{t}", "*".repeat(chars.len() - head - tail))
}

#[cfg(test)]
mod tests {
    #[test]
    fn masks() {
        assert_eq!(super::id_number("440304199001011234"), "4403**********1234");
        assert_eq!(super::phone("13800138000"), "138****8000");
        assert_eq!(super::address("深圳市福田区华强北街道"), "深圳市福田区****");
        assert_eq!(super::name("张三"), "张*");
        assert_eq!(super::id_number("123"), "***");
    }
}
