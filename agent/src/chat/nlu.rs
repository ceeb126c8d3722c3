//! The built-in engine's understanding of what a buyer types: e-mail addresses, US postal
//! addresses, quantities, "the second one", shipping speeds and the handful of commands of a
//! purchase. Plain functions over text, each tested on the phrasings shoppers use.

use shared::v2026_04_17::Address;

use crate::shop::Pick;

/// What a message asks the agent to do, beyond the details it carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Help,
    Buy,
    /// Put the item in the cart next to what is there.
    Add,
    Cancel,
    OrderStatus,
    /// The buyer finished at the bank's 3-D Secure page.
    Done,
    ShowCart,
}

fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .replace(['’', '‘'], "'")
        .split(|c: char| {
            c.is_whitespace() || matches!(c, ',' | '!' | '?' | ';' | ':' | '(' | ')' | '"')
        })
        .map(|w| w.trim_end_matches('.').to_owned())
        .filter(|w| !w.is_empty())
        .collect()
}

fn has_phrase(words: &[String], phrase: &str) -> bool {
    let parts: Vec<&str> = phrase.split(' ').collect();
    words
        .windows(parts.len())
        .any(|w| w.iter().zip(&parts).all(|(a, b)| a == b))
}

/// The command in a message, if any.
pub fn command(text: &str) -> Option<Command> {
    let w = words(text);
    let any = |phrases: &[&str]| phrases.iter().any(|p| has_phrase(&w, p));
    let only = |set: &[&str]| !w.is_empty() && w.iter().all(|x| set.contains(&x.as_str()));
    if only(&["hi", "hello", "hey", "help", "there", "please"])
        || any(&["what can you do", "how does this work"])
    {
        return Some(Command::Help);
    }
    if any(&[
        "where is my order",
        "where's my order",
        "order status",
        "status of my order",
        "track my order",
        "has it shipped",
        "did it ship",
        "when will it arrive",
        "tracking",
    ]) || only(&["status", "track"])
    {
        return Some(Command::OrderStatus);
    }
    // "cancel", but not "noise cancelling": the verb on its own.
    if any(&[
        "cancel",
        "never mind",
        "nevermind",
        "forget it",
        "cancel it",
        "cancel the order",
        "don't want it",
    ]) {
        return Some(Command::Cancel);
    }
    if only(&[
        "done",
        "ok",
        "okay",
        "i",
        "did",
        "it",
        "i'm",
        "finished",
        "confirmed",
        "approved",
        "all",
        "have",
        "i've",
        "now",
    ]) && any(&["done", "finished", "confirmed", "approved", "did it"])
    {
        return Some(Command::Done);
    }
    if any(&[
        "add it",
        "add to cart",
        "add to my cart",
        "add that",
        "add this",
        "add them",
        "add those",
    ]) {
        return Some(Command::Add);
    }
    if any(&[
        "my cart",
        "show cart",
        "the cart",
        "what's in my cart",
        "order summary",
    ]) || only(&["cart", "summary", "total"])
    {
        return Some(Command::ShowCart);
    }
    if any(&[
        "buy it",
        "buy them",
        "buy this",
        "buy that",
        "buy now",
        "check out",
        "checkout",
        "purchase",
        "order it",
        "i'll take it",
        "i will take it",
        "take it",
        "place the order",
        "place my order",
        "pay",
        "let's do it",
        "go ahead",
        "proceed",
        "get it",
        "get them",
        "i'll take them",
    ]) || only(&["buy", "yes", "yep", "sure", "ok", "okay"])
    {
        return Some(Command::Buy);
    }
    None
}

const NUMBER_WORDS: &[(&str, u32)] = &[
    ("one", 1),
    ("two", 2),
    ("three", 3),
    ("four", 4),
    ("five", 5),
    ("six", 6),
    ("seven", 7),
    ("eight", 8),
    ("nine", 9),
    ("ten", 10),
    ("a couple", 2),
    ("a pair", 1),
];

fn number(word: &str) -> Option<u32> {
    word.parse().ok().or_else(|| {
        NUMBER_WORDS
            .iter()
            .find(|(w, _)| *w == word)
            .map(|(_, n)| *n)
    })
}

/// "2 of them", "make it 3", "quantity 2", "two pairs", "x2", "I'll take 3".
pub fn quantity(text: &str) -> Option<u32> {
    let w = words(text);
    for (i, word) in w.iter().enumerate() {
        let next = w.get(i + 1).map(String::as_str);
        let prev = i.checked_sub(1).map(|p| w[p].as_str());
        if matches!(word.as_str(), "quantity" | "qty")
            && let Some(n) = w[i + 1..].iter().take(2).find_map(|x| number(x))
        {
            return Some(n);
        }
        if let Some(n) = word.strip_prefix('x').and_then(|n| n.parse().ok()) {
            return Some(n);
        }
        let Some(n) = number(word) else { continue };
        if n == 0
            || n > 99
            || matches!(
                prev,
                Some("size" | "sz" | "number" | "#" | "option" | "result" | "no")
            )
        {
            continue;
        }
        let of_them = matches!(next, Some("of"))
            && w.get(i + 2).is_some_and(|x| {
                matches!(
                    x.as_str(),
                    "them" | "those" | "these" | "it" | "that" | "the"
                )
            });
        let units = matches!(
            next,
            Some(
                "pairs" | "pair" | "units" | "pieces" | "items" | "copies" | "of" | "x" | "please"
            )
        );
        let make_it = prev == Some("it") && i >= 2 && w[i - 2] == "make";
        let verb = matches!(
            prev,
            Some("take" | "buy" | "get" | "want" | "order" | "need")
        ) && !matches!(next, Some("size"));
        if of_them || make_it || verb || (units && next != Some("of")) {
            return Some(n);
        }
    }
    None
}

const ORDINALS: &[(&str, usize)] = &[
    ("first", 1),
    ("1st", 1),
    ("second", 2),
    ("2nd", 2),
    ("third", 3),
    ("3rd", 3),
    ("fourth", 4),
    ("4th", 4),
    ("fifth", 5),
    ("5th", 5),
    ("sixth", 6),
    ("6th", 6),
    ("seventh", 7),
    ("7th", 7),
    ("eighth", 8),
    ("8th", 8),
    ("ninth", 9),
    ("9th", 9),
    ("tenth", 10),
    ("10th", 10),
];

/// Which result a message points at: "the second one", "#2", "number 3", "the last one",
/// "the cheapest". `bare_numbers`: a message of just "2" counts (when a choice was asked for).
pub fn pick(text: &str, bare_numbers: bool) -> Option<Pick> {
    let w = words(text);
    if bare_numbers
        && w.len() == 1
        && let Ok(n) = w[0].trim_start_matches('#').parse::<usize>()
    {
        return (1..=20).contains(&n).then_some(Pick::Number(n));
    }
    for (i, word) in w.iter().enumerate() {
        if let Some((_, n)) = ORDINALS.iter().find(|(o, _)| o == word) {
            return Some(Pick::Number(*n));
        }
        if let Some(n) = word.strip_prefix('#').and_then(|n| n.parse().ok()) {
            return Some(Pick::Number(n));
        }
        if matches!(
            word.as_str(),
            "number" | "option" | "result" | "no" | "item"
        ) && let Some(n) = w.get(i + 1).and_then(|x| x.parse().ok())
        {
            return Some(Pick::Number(n));
        }
    }
    if has_phrase(&w, "the last one") || has_phrase(&w, "the last") {
        return Some(Pick::Last);
    }
    if has_phrase(&w, "the cheapest") || has_phrase(&w, "cheapest one") {
        return Some(Pick::Cheapest);
    }
    // "the blue one", "the Northpeak ones", "the trail runners please"
    let refers =
        has_phrase(&w, "one") || has_phrase(&w, "ones") || w.first().is_some_and(|f| f == "the");
    let first = w.first().map(String::as_str);
    if refers
        && matches!(
            first,
            Some("the" | "i'll" | "i" | "that" | "those" | "let's" | "give")
        )
    {
        return Some(Pick::Words(text.to_owned()));
    }
    None
}

/// The shipping speed asked for: `standard`, `express`, `overnight`, `fastest` or `cheapest`.
pub fn shipping(text: &str) -> Option<&'static str> {
    let w = words(text);
    let any = |ps: &[&str]| ps.iter().any(|p| has_phrase(&w, p));
    if any(&["overnight", "next day", "next-day", "tomorrow"]) {
        Some("overnight")
    } else if any(&["express", "expedited", "2-day", "two day", "two-day"]) {
        Some("express")
    } else if any(&["fastest", "quickest", "as fast as possible", "asap"]) {
        Some("fastest")
    } else if any(&[
        "standard shipping",
        "standard",
        "regular shipping",
        "ground",
        "free shipping",
    ]) {
        Some("standard")
    } else if any(&["cheapest shipping", "cheapest delivery", "slowest"]) {
        Some("cheapest")
    } else {
        None
    }
}

/// An e-mail address in the text.
pub fn email(text: &str) -> Option<String> {
    text.split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '<' | '>' | '(' | ')'))
        .map(|w| w.trim_matches(|c: char| matches!(c, '.' | '!' | '?' | '"' | '\'')))
        .find(|w| {
            let Some((user, domain)) = w.split_once('@') else {
                return false;
            };
            !user.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && w.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "@._+-".contains(c))
        })
        .map(str::to_lowercase)
}

/// "my name is Jane Doe", "name: Jane Doe".
pub fn name(text: &str) -> Option<(String, Option<String>)> {
    let lower = text.to_lowercase();
    let at = ["my name is ", "name is ", "name: ", "this is "]
        .iter()
        .find_map(|p| lower.find(p).map(|i| i + p.len()))?;
    let rest: Vec<&str> = text[at..]
        .split([',', '.', ';', '!', '?'])
        .next()?
        .split_whitespace()
        .take_while(|w| w.chars().next().is_some_and(char::is_alphabetic) && !w.contains('@'))
        .take(3)
        .collect();
    let first = (*rest.first()?).to_owned();
    let last = (rest.len() > 1).then(|| rest[1..].join(" "));
    Some((first, last))
}

const STATES: &[(&str, &str)] = &[
    ("AL", "alabama"),
    ("AK", "alaska"),
    ("AZ", "arizona"),
    ("AR", "arkansas"),
    ("CA", "california"),
    ("CO", "colorado"),
    ("CT", "connecticut"),
    ("DE", "delaware"),
    ("DC", "district of columbia"),
    ("FL", "florida"),
    ("GA", "georgia"),
    ("HI", "hawaii"),
    ("ID", "idaho"),
    ("IL", "illinois"),
    ("IN", "indiana"),
    ("IA", "iowa"),
    ("KS", "kansas"),
    ("KY", "kentucky"),
    ("LA", "louisiana"),
    ("ME", "maine"),
    ("MD", "maryland"),
    ("MA", "massachusetts"),
    ("MI", "michigan"),
    ("MN", "minnesota"),
    ("MS", "mississippi"),
    ("MO", "missouri"),
    ("MT", "montana"),
    ("NE", "nebraska"),
    ("NV", "nevada"),
    ("NH", "new hampshire"),
    ("NJ", "new jersey"),
    ("NM", "new mexico"),
    ("NY", "new york"),
    ("NC", "north carolina"),
    ("ND", "north dakota"),
    ("OH", "ohio"),
    ("OK", "oklahoma"),
    ("OR", "oregon"),
    ("PA", "pennsylvania"),
    ("RI", "rhode island"),
    ("SC", "south carolina"),
    ("SD", "south dakota"),
    ("TN", "tennessee"),
    ("TX", "texas"),
    ("UT", "utah"),
    ("VT", "vermont"),
    ("VA", "virginia"),
    ("WA", "washington"),
    ("WV", "west virginia"),
    ("WI", "wisconsin"),
    ("WY", "wyoming"),
];

const LEADS: &[&str] = &[
    "please ship it to",
    "please ship to",
    "ship it to",
    "ship them to",
    "ship to",
    "send it to",
    "send them to",
    "send to",
    "deliver it to",
    "deliver to",
    "deliver them to",
    "my address is",
    "the address is",
    "address is",
    "address:",
    "address",
    "it's",
    "to",
];

/// A US postal address in free text: "Jane Doe, 500 Congress Ave, Austin, TX 78701". A street
/// line starting with a number, a city, a state (code or name) and a ZIP code are needed; a
/// name before the street is taken as the recipient's.
pub fn address(text: &str, fallback_name: Option<&str>) -> Option<Address> {
    let cleaned: String = text.replace(['\n', ';'], ", ");
    let tokens: Vec<&str> = cleaned.split_whitespace().collect();
    // The ZIP: five digits (or ZIP+4), after a state.
    let (zip_at, zip) = tokens.iter().enumerate().rev().find_map(|(i, t)| {
        let t = t.trim_matches(|c: char| matches!(c, ',' | '.'));
        let five = t.get(..5)?;
        let ok = five.bytes().all(|b| b.is_ascii_digit())
            && (t.len() == 5 || (t.len() == 10 && t.as_bytes()[5] == b'-'));
        ok.then(|| (i, five.to_owned()))
    })?;
    let before: Vec<&str> = tokens[..zip_at].to_vec();
    // The state: a code, or a name of one or three words, just before the ZIP.
    let (state, state_len) = (1..=3).rev().find_map(|n| {
        if before.len() < n {
            return None;
        }
        let phrase = before[before.len() - n..]
            .join(" ")
            .trim_matches(|c: char| matches!(c, ',' | '.'))
            .to_lowercase();
        STATES
            .iter()
            .find(|(code, full)| (n == 1 && phrase == code.to_lowercase()) || phrase == *full)
            .map(|(code, _)| ((*code).to_owned(), n))
    })?;
    let head = before[..before.len() - state_len].join(" ");
    let mut parts: Vec<String> = head
        .split(',')
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .collect();
    // The street is the first part that starts with a house number.
    let street_at = parts.iter().position(|p| {
        p.split_whitespace()
            .next()
            .is_some_and(|w| w.chars().next().is_some_and(|c| c.is_ascii_digit()))
    });
    let (name_part, street_at) = match street_at {
        // The recipient is what comes right before the street ("buy it, ship to Jane Doe, …").
        Some(i) => (
            i.checked_sub(1)
                .map(|p| parts[p].clone())
                .unwrap_or_default(),
            i,
        ),
        None => {
            // "John Smith at 221 Pine Street Seattle" with no commas: find the number.
            let first = parts.first()?.clone();
            let at = first
                .split_whitespace()
                .position(|w| w.chars().next().is_some_and(|c| c.is_ascii_digit()))?;
            let ws: Vec<&str> = first.split_whitespace().collect();
            parts[0] = ws[at..].join(" ");
            (ws[..at].join(" "), 0)
        }
    };
    let mut rest: Vec<String> = parts[street_at..].to_vec();
    // "500 Congress Ave Austin" without a comma before the city: the city is what follows
    // the last street word (St, Ave, Road…), or the last word.
    if rest.len() == 1 {
        let ws: Vec<&str> = rest[0].split_whitespace().collect();
        let suffix = ws.iter().rposition(|w| {
            matches!(
                w.to_lowercase().trim_end_matches('.'),
                "st" | "street"
                    | "ave"
                    | "avenue"
                    | "rd"
                    | "road"
                    | "blvd"
                    | "boulevard"
                    | "dr"
                    | "drive"
                    | "ln"
                    | "lane"
                    | "way"
                    | "ct"
                    | "court"
                    | "pl"
                    | "place"
                    | "pkwy"
                    | "hwy"
                    | "terrace"
                    | "ter"
                    | "circle"
                    | "cir"
                    | "sq"
                    | "square"
            )
        });
        let split = suffix.map_or(ws.len().saturating_sub(1), |s| s + 1);
        if split == 0 || split >= ws.len() {
            return None;
        }
        rest = vec![ws[..split].join(" "), ws[split..].join(" ")];
    }
    let city = rest.pop()?;
    let line_one = rest.first()?.clone();
    let line_two = (rest.len() > 1).then(|| rest[1..].join(", "));
    let mut name = name_part.trim().to_owned();
    let lower = name.to_lowercase();
    for lead in LEADS {
        if lower.starts_with(lead) {
            name = name[lead.len()..].trim().to_owned();
            break;
        }
    }
    let name = name
        .trim_end_matches(" at")
        .trim_start_matches("to ")
        .trim()
        .to_owned();
    let name = if name.is_empty() || name.split_whitespace().count() > 4 {
        fallback_name?.to_owned()
    } else {
        name
    };
    if city.is_empty() || line_one.len() < 3 {
        return None;
    }
    Some(crate::shop::us_address(
        name, line_one, line_two, city, state, zip,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands() {
        assert_eq!(command("hi"), Some(Command::Help));
        assert_eq!(command("buy it"), Some(Command::Buy));
        assert_eq!(command("OK, let's check out"), Some(Command::Buy));
        assert_eq!(command("yes"), Some(Command::Buy));
        assert_eq!(command("cancel"), Some(Command::Cancel));
        assert_eq!(command("never mind, forget it"), Some(Command::Cancel));
        assert_eq!(command("noise cancelling headphones"), None);
        assert_eq!(command("where is my order?"), Some(Command::OrderStatus));
        assert_eq!(command("done"), Some(Command::Done));
        assert_eq!(command("ok I did it"), Some(Command::Done));
        assert_eq!(command("add it to my cart"), Some(Command::Add));
        assert_eq!(command("running shoes"), None);
        assert_eq!(command("a paper notebook"), None);
    }

    #[test]
    fn quantities() {
        assert_eq!(quantity("2 of them"), Some(2));
        assert_eq!(quantity("make it 3"), Some(3));
        assert_eq!(quantity("quantity: 4"), Some(4));
        assert_eq!(quantity("two pairs please"), Some(2));
        assert_eq!(quantity("I'll take 3"), Some(3));
        assert_eq!(quantity("x2"), Some(2));
        assert_eq!(quantity("size 10"), None);
        assert_eq!(quantity("under $50"), None);
        assert_eq!(quantity("the second one"), None);
        assert_eq!(quantity("number 2"), None);
        assert_eq!(quantity("take the 2nd"), None);
    }

    #[test]
    fn picks() {
        assert_eq!(pick("the second one", false), Some(Pick::Number(2)));
        assert_eq!(pick("I'll take #3", false), Some(Pick::Number(3)));
        assert_eq!(pick("number 1 please", false), Some(Pick::Number(1)));
        assert_eq!(pick("2", true), Some(Pick::Number(2)));
        assert_eq!(pick("2", false), None);
        assert_eq!(pick("the last one", false), Some(Pick::Last));
        assert_eq!(pick("the cheapest", false), Some(Pick::Cheapest));
        assert_eq!(
            pick("the blue one", false),
            Some(Pick::Words("the blue one".into()))
        );
        assert_eq!(pick("waterproof hiking boots", false), None);
    }

    #[test]
    fn shipping_speeds() {
        assert_eq!(shipping("express please"), Some("express"));
        assert_eq!(shipping("can it come tomorrow"), Some("overnight"));
        assert_eq!(shipping("the fastest"), Some("fastest"));
        assert_eq!(shipping("standard shipping is fine"), Some("standard"));
        assert_eq!(shipping("running shoes"), None);
    }

    #[test]
    fn emails_and_names() {
        assert_eq!(
            email("it's Jane@Example.com."),
            Some("jane@example.com".into())
        );
        assert_eq!(email("no email here @ all"), None);
        assert_eq!(
            name("my name is Jane Doe, thanks"),
            Some(("Jane".into(), Some("Doe".into())))
        );
        assert_eq!(name("name: Sam"), Some(("Sam".into(), None)));
        assert_eq!(name("I need shoes"), None);
    }

    #[test]
    fn addresses_in_the_ways_people_write_them() {
        let a = address("Jane Doe, 500 Congress Ave, Austin, TX 78701", None).expect("parsed");
        assert_eq!(
            (
                a.name.as_str(),
                a.line_one.as_str(),
                a.city.as_str(),
                a.state.as_str(),
                a.postal_code.as_str(),
                a.country.as_str()
            ),
            (
                "Jane Doe",
                "500 Congress Ave",
                "Austin",
                "TX",
                "78701",
                "US"
            )
        );
        let a = address(
            "ship to 1 Market St, Suite 300, San Francisco, California 94105",
            Some("Sam Lee"),
        )
        .expect("parsed");
        assert_eq!(a.name, "Sam Lee");
        assert_eq!(a.line_two.as_deref(), Some("Suite 300"));
        assert_eq!((a.city.as_str(), a.state.as_str()), ("San Francisco", "CA"));
        let a = address(
            "send it to John Smith at 221 Pine Street Seattle WA 98101",
            None,
        )
        .expect("parsed");
        assert_eq!(
            (
                a.name.as_str(),
                a.line_one.as_str(),
                a.city.as_str(),
                a.state.as_str()
            ),
            ("John Smith", "221 Pine Street", "Seattle", "WA")
        );
        let a = address("12 W 4th St, New York, New York 10012-1234", Some("Ana")).expect("parsed");
        assert_eq!(
            (a.city.as_str(), a.state.as_str(), a.postal_code.as_str()),
            ("New York", "NY", "10012")
        );
        // Not addresses: no street number, no state, no ZIP.
        assert!(address("running shoes under 100", None).is_none());
        assert!(address("Austin, TX 78701", Some("Jane")).is_none());
        assert!(address("500 Congress Ave, Austin", Some("Jane")).is_none());
        // An address without a name and no name known yet.
        assert!(address("500 Congress Ave, Austin, TX 78701", None).is_none());
    }
}
