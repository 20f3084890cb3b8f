//! The web console in a real browser: headless Chromium, driven through chromedriver, against
//! the real `ternd` with the real Twilio adapter and a mock Twilio on loopback. Each step
//! checks what the page shows, and the API confirms what the page did.

#[path = "console/browser.rs"]
mod browser;
#[path = "console/degraded.rs"]
mod degraded;
#[path = "console/files.rs"]
mod files;

use std::time::Duration;

use browser::{Browser, screenshot_dir};
use fantoccini::key::Key;
use serde_json::{Value, json};
use tern_tests::fixtures::{
    ACCOUNT_SID, AUTH_TOKEN, REFUSED_NUMBER, Setup, mock_twilio, post_twilio_form, twilio_config,
};
use tern_tests::http::Api;

/// The row of provider `id` in the providers view, once the view has finished loading (it
/// redraws its rows on every load).
fn row(id: &str) -> String {
    format!("#view-providers[aria-busy=false] tr[data-provider=\"{id}\"]")
}

async fn provider_id(api: &Api, name: &str) -> String {
    let providers = api.get("/v1/providers").await.json();
    providers["providers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no provider {name}: {providers}"))["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Opens the row menu of provider `id` and picks `item`.
async fn menu(b: &Browser, id: &str, item: &str) {
    b.find(&format!("{} button[aria-haspopup=menu]", row(id)))
        .await
        .click()
        .await
        .unwrap();
    b.click_button(&format!("{} [role=menu]", row(id)), item)
        .await;
}

/// The window: 1280 px wide; taller for the screenshots of long dialogs and of the stats.
const HEIGHT: u32 = 900;
const TALL: u32 = 1700;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_walkthrough() {
    tokio::time::timeout(Duration::from_secs(300), walkthrough())
        .await
        .expect("the walkthrough finished within 5 minutes");
}

async fn walkthrough() {
    let setup = Setup::new();
    let twilio = mock_twilio().await;
    let daemon = setup.start();
    let api = daemon.admin();
    // The provider that step 8 deletes.
    let backup = api
        .post(
            "/v1/providers",
            json!({"name": "Twilio backup", "plugin": "twilio", "config": twilio_config(&twilio.url())}),
        )
        .await;
    assert_eq!(backup.status, 201, "{}", backup.text());
    let backup_id = backup.json()["id"].as_str().unwrap().to_owned();

    let b = Browser::start(1280, HEIGHT).await;
    println!("screenshots in {}", screenshot_dir().display());

    // 1. Log in. A wrong token is refused with the API's own message and code.
    b.goto(&format!("{}/", daemon.admin_url)).await;
    b.screenshot("1-login").await;
    b.fill("#token", "not-the-token").await;
    b.click_button("#login-form", "Log in").await;
    let refused = b.wait_text("#login-error", "unauthorized").await;
    assert!(
        refused.contains("missing or wrong admin token"),
        "{refused}"
    );
    b.fill("#token", &daemon.token).await;
    b.click_button("#login-form", "Log in").await;
    b.wait_text("#view-providers", "Twilio backup").await;
    assert_eq!(b.text("#view-providers h1").await, "SMS providers");
    assert!(
        b.find("#login")
            .await
            .attr("hidden")
            .await
            .unwrap()
            .is_some()
    );
    let stored = b
        .eval("return sessionStorage.getItem('tern.adminToken')")
        .await;
    assert_eq!(stored, json!(daemon.token));
    // No stats are loaded yet, so there is nothing to download.
    let csv = b.button("#view-stats", "Download CSV").await;
    assert!(!csv.is_enabled().await.unwrap());

    // 2. Add a Twilio provider through the form generated from the plugin's manifest.
    b.click_button("#view-providers", "Add provider").await;
    b.find("dialog[open] select[name=plugin]")
        .await
        .select_by_value("twilio")
        .await
        .unwrap();
    let form = b.text("dialog[open]").await;
    assert!(
        form.contains("Account SID *"),
        "required fields are marked: {form}"
    );
    let secret = b.find("dialog[open] input[name=auth_token]").await;
    assert_eq!(
        secret.attr("type").await.unwrap().as_deref(),
        Some("password")
    );
    b.fill("dialog[open] input[name=name]", "Twilio US").await;
    b.fill("dialog[open] input[name=account_sid]", ACCOUNT_SID)
        .await;
    b.fill("dialog[open] input[name=auth_token]", AUTH_TOKEN)
        .await;
    b.fill("dialog[open] input[name=from]", "+14155552345")
        .await;
    b.fill("dialog[open] input[name=base_url]", &twilio.url())
        .await;

    // 3. Send a test SMS with the unsaved values: the provider's answer and the latency show.
    b.fill("dialog[open] input[name=test_to]", "+14155550100")
        .await;
    b.click_button("dialog[open]", "Send Test SMS").await;
    let report = b
        .wait_text("dialog[open] .test-report", "Accepted by the provider")
        .await;
    assert!(report.contains("HTTP status\n201"), "{report}");
    assert!(
        report.contains("Latency") && report.contains(" ms"),
        "{report}"
    );
    let sent = twilio.requests();
    assert_eq!(sent.len(), 1);
    assert!(
        sent[0]
            .form()
            .contains(&("To".into(), "+14155550100".into()))
    );
    let listed = api.get("/v1/providers").await.json();
    assert_eq!(
        listed["providers"].as_array().unwrap().len(),
        1,
        "nothing saved yet"
    );
    // A refusal shows the provider's own message and code.
    b.fill("dialog[open] input[name=test_to]", REFUSED_NUMBER)
        .await;
    b.click_button("dialog[open]", "Send Test SMS").await;
    let report = b
        .wait_text(
            "dialog[open] .test-report",
            "Not accepted: The 'To' number +15005550001 is not a valid phone number.",
        )
        .await;
    assert!(
        report.contains("21211") && report.contains("provider_rejected"),
        "{report}"
    );
    b.resize(1280, TALL).await;
    b.screenshot("3-add-provider-test").await;
    b.resize(1280, HEIGHT).await;

    // 4. Save. A refusal is shown as the API gives it, and the dialog stays open.
    b.fill("dialog[open] input[name=name]", "Twilio backup")
        .await;
    b.click_button("dialog[open]", "Add provider").await;
    let refusal = b
        .wait_text("dialog[open] .dialog-error", "name_taken")
        .await;
    assert!(
        refusal.contains("a provider named \"Twilio backup\" already exists; choose another name"),
        "{refusal}"
    );
    b.fill("dialog[open] input[name=name]", "Twilio US").await;
    b.click_button("dialog[open]", "Add provider").await;
    b.wait_gone("dialog[open]").await;
    b.wait_text("#notice", "Added Twilio US.").await;
    let us_id = provider_id(&api, "Twilio US").await;
    let us = row(&us_id);
    let text = b.wait_text(&us, "Twilio US").await;
    assert!(text.contains("twilio") && text.contains("Active"), "{text}");
    let saved = api.get(&format!("/v1/providers/{us_id}")).await.json();
    assert_eq!(saved["config"]["from"], "+14155552345");
    assert_eq!(saved["secrets_set"], json!(["auth_token"]));

    // Edit settings: prefilled, the secret shows "set" but not its value, and a test sends
    // the unsaved change; Escape closes the dialog without saving.
    menu(&b, &us_id, "Edit settings").await;
    let sid = b.find("dialog[open] input[name=account_sid]").await;
    assert_eq!(
        sid.prop("value").await.unwrap().as_deref(),
        Some(ACCOUNT_SID)
    );
    let secret = b.find("dialog[open] input[name=auth_token]").await;
    assert_eq!(secret.prop("value").await.unwrap().as_deref(), Some(""));
    let placeholder = secret
        .attr("placeholder")
        .await
        .unwrap()
        .unwrap_or_default();
    assert!(placeholder.contains("set"), "{placeholder}");
    let dialog = b.text("dialog[open]").await;
    assert!(dialog.contains("Auth token * set"), "{dialog}");
    assert!(!dialog.contains(AUTH_TOKEN));
    b.fill("dialog[open] input[name=from]", "+14155559999")
        .await;
    b.fill("dialog[open] input[name=test_to]", "+14155550101")
        .await;
    b.click_button("dialog[open]", "Send Test SMS").await;
    b.wait_text("dialog[open] .test-report", "Accepted by the provider")
        .await;
    let last = twilio.requests().pop().unwrap();
    assert!(
        last.form()
            .contains(&("From".into(), "+14155559999".into()))
    );
    b.resize(1280, TALL).await;
    b.screenshot("edit-dialog").await;
    b.resize(1280, HEIGHT).await;
    b.find("dialog[open] input[name=from]")
        .await
        .send_keys(&Key::Escape)
        .await
        .unwrap();
    b.wait_gone("dialog[open]").await;
    let unchanged = api.get(&format!("/v1/providers/{us_id}")).await.json();
    assert_eq!(unchanged["config"]["from"], "+14155552345");

    // 5. Mark it as default, from the keyboard: arrow into the menu, then Enter.
    let opener = b.find(&format!("{us} button[aria-haspopup=menu]")).await;
    opener.send_keys(&Key::Down).await.unwrap();
    let focused = b.client.active_element().await.unwrap();
    assert_eq!(focused.text().await.unwrap(), "Edit settings");
    focused.send_keys(&Key::Down).await.unwrap();
    let focused = b.client.active_element().await.unwrap();
    assert_eq!(focused.text().await.unwrap(), "Mark as default");
    focused.send_keys(&Key::Enter).await.unwrap();
    b.wait_text(&us, "Default").await;
    b.wait_text("#notice", "Twilio US is now the default provider.")
        .await;
    let default = api.get("/v1/providers/default").await.json();
    assert_eq!(default["id"], json!(us_id));
    assert!(!b.text(&row(&backup_id)).await.contains("Default"));
    b.screenshot("5-providers").await;

    // 6. Create a campaign; the default provider is pre-selected.
    b.click_button("[role=tablist]", "Campaigns").await;
    b.wait_text("#view-campaigns", "No campaigns or journeys yet.")
        .await;
    let chosen = b.find("#view-campaigns select[name=provider_id]").await;
    assert_eq!(chosen.prop("value").await.unwrap(), Some(us_id.clone()));
    let label = b
        .eval("const s = document.querySelector('#view-campaigns select[name=provider_id]'); return s.options[s.selectedIndex].text")
        .await;
    assert_eq!(label, json!("Twilio US (default)"));
    b.fill("#view-campaigns input[name=name]", "Spring sale")
        .await;
    b.click_button("#view-campaigns", "Create").await;
    let table = b.wait_text("#view-campaigns table", "Spring sale").await;
    assert!(
        table.contains("Twilio US") && table.contains("Active"),
        "{table}"
    );
    b.screenshot("6-campaigns").await;
    let campaigns = api.get("/v1/campaigns").await.json();
    let campaign = &campaigns["campaigns"][0];
    assert_eq!(campaign["provider_id"], json!(us_id));

    // Traffic for the stats: three messages through the campaign, two of them delivered.
    let callback_url = saved["callback_url"].as_str().unwrap();
    for (n, to) in ["+14155550110", "+14155550111", "+14155550112"]
        .iter()
        .enumerate()
    {
        let sent = api
            .post(
                "/v1/messages",
                json!({"to": to, "body": "Spring sale", "campaign_id": campaign["id"]}),
            )
            .await;
        assert_eq!(sent.status, 201, "{}", sent.text());
        if n < 2 {
            let sid = sent.json()["provider_message_id"]
                .as_str()
                .unwrap()
                .to_owned();
            let params = [
                ("AccountSid", ACCOUNT_SID),
                ("MessageSid", sid.as_str()),
                ("MessageStatus", "delivered"),
            ];
            let answer = post_twilio_form(&daemon, callback_url, &params, AUTH_TOKEN).await;
            assert_eq!(answer.status, 200, "{}", answer.text());
        }
    }

    // 7. Archive through the confirmation, which names what it stops; the campaign stops.
    b.click_button("[role=tablist]", "Providers").await;
    menu(&b, &us_id, "Archive").await;
    let confirm = b.wait_text("dialog[open]", "irreversible").await;
    assert!(
        confirm.contains("It will stop 1 campaign and 0 journeys"),
        "{confirm}"
    );
    b.screenshot("7-archive-confirmation").await;
    b.click_button("dialog[open]", "Archive").await;
    b.wait_gone("dialog[open]").await;
    b.wait_text(
        "#notice",
        "Archived Twilio US; stopped 1 campaign or journey.",
    )
    .await;
    let archived = b.wait_text("#view-providers .archived", "Twilio US").await;
    assert!(archived.contains("Archived"), "{archived}");
    assert!(!archived.contains("Default"), "{archived}");
    b.click_button("[role=tablist]", "Campaigns").await;
    let table = b.wait_text("#view-campaigns table", "Stopped").await;
    assert!(table.contains("Provider archived"), "{table}");
    b.screenshot("7-campaign-stopped").await;
    let stopped = api.get("/v1/campaigns").await.json();
    assert_eq!(stopped["campaigns"][0]["stop_reason"], "provider_archived");

    // 8. Delete the other provider; the admin must type its name first.
    b.click_button("[role=tablist]", "Providers").await;
    menu(&b, &backup_id, "Delete").await;
    b.wait_text("dialog[open]", "All data of this provider will be removed")
        .await;
    let delete = b.button("dialog[open]", "Delete").await;
    assert!(!delete.is_enabled().await.unwrap());
    b.fill("dialog[open] input[type=text]", "Twilio backu")
        .await;
    assert!(!delete.is_enabled().await.unwrap());
    b.find("dialog[open] input[type=text]")
        .await
        .send_keys("p")
        .await
        .unwrap();
    assert!(delete.is_enabled().await.unwrap());
    b.screenshot("8-delete-confirmation").await;
    delete.click().await.unwrap();
    b.wait_gone("dialog[open]").await;
    b.wait_text("#notice", "Deleted Twilio backup").await;
    b.wait_gone(&format!("tr[data-provider=\"{backup_id}\"]"))
        .await;
    assert_eq!(
        api.get(&format!("/v1/providers/{backup_id}")).await.status,
        404
    );

    // 9. Stats of the archived provider: the cards, then a series toggled off and on.
    menu(&b, &us_id, "View stats").await;
    let cards = b.wait_text("#view-stats .cards", "Total Sent").await;
    let card = |label: &str| -> String {
        let at = cards
            .find(label)
            .unwrap_or_else(|| panic!("{label} in {cards}"));
        cards[at..].lines().nth(1).unwrap_or_default().to_owned()
    };
    assert_eq!(card("Total Sent"), "3");
    assert_eq!(card("Total Delivered"), "2");
    assert_eq!(card("Total Errors"), "0");
    assert_eq!(card("Delivery Rate"), "66.67 %");
    assert_eq!(card("Daily Avg Sent"), "0.1");
    assert!(
        b.text("#view-stats .range-summary")
            .await
            .contains("30 days")
    );
    assert_eq!(b.count("#view-stats svg path.line").await, 4);
    let delivered = b.find("#view-stats .toggles input[name=delivered]").await;
    delivered.click().await.unwrap();
    assert_eq!(b.count("#view-stats svg path.line").await, 3);
    assert_eq!(
        b.count("#view-stats svg path[data-series=delivered]").await,
        0
    );
    delivered.click().await.unwrap();
    assert_eq!(
        b.count("#view-stats svg path[data-series=delivered]").await,
        1
    );
    b.click_button("#view-stats", "7 days").await;
    b.wait_text("#view-stats .range-summary", "7 days").await;
    let points = b
        .eval("return document.querySelector('#view-stats svg path[data-series=sent]').getAttribute('d').split(/[ML]/).length - 1")
        .await;
    assert_eq!(points, json!(7));
    // The range shown, and the day the messages went out (today, in ternd's time zone, unless
    // the test ran across midnight).
    let range = b
        .eval("return Array.from(document.querySelectorAll('#view-stats input[type=date]'), i => i.value)")
        .await;
    let (from, to) = (range[0].as_str().unwrap(), range[1].as_str().unwrap());
    let stats = api
        .get(&format!("/v1/providers/{us_id}/stats?from={from}&to={to}"))
        .await
        .json();
    let busy_day = stats["series"]
        .as_array()
        .unwrap()
        .iter()
        .position(|point| point["sent"] == 3)
        .expect("one day holds the three sends");
    // The tooltip reads that day from the keyboard.
    let chart = b.find("#view-stats .chart svg").await;
    chart.send_keys(&Key::Home).await.unwrap();
    for _ in 0..busy_day {
        chart.send_keys(&Key::Right).await.unwrap();
    }
    let tip = b.wait_text("#view-stats .tooltip", "Sent: 3").await;
    assert!(tip.contains("Delivered: 2"), "{tip}");
    b.resize(1280, TALL).await;
    b.eval("window.scrollTo(0, 0); return null").await;
    b.screenshot("9-stats").await;
    // The CSV download holds the range shown.
    assert!(csv.is_enabled().await.unwrap());
    csv.click().await.unwrap();
    let csv = b
        .downloaded(&format!("provider-{us_id}-{from}-{to}.csv"))
        .await;
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("date,sent,delivered,failed,errors,clicked,replied")
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 7);
    assert_eq!(rows[0].split(',').next(), Some(from));
    assert_eq!(rows[busy_day].split_once(',').unwrap().1, "3,2,0,0,0,0");

    // A custom range: the day before the last one, to the last one.
    b.eval(
        "const [from, to] = document.querySelectorAll('#view-stats input[type=date]'); \
         from.value = new Date(Date.parse(to.value) - 86400000).toISOString().slice(0, 10); \
         return null",
    )
    .await;
    b.click_button("#view-stats .custom-range", "Apply").await;
    b.wait_text("#view-stats .range-summary", "2 days").await;
    let cards = b.text("#view-stats .cards").await;
    assert!(cards.starts_with("Total Sent\n3\n"), "{cards}");
    assert_eq!(b.count("#view-stats .presets [aria-pressed=true]").await, 0);

    // The page at phone width: nothing wider than the screen.
    b.resize(390, 844).await;
    b.click_button("[role=tablist]", "Providers").await;
    b.wait_text("#view-providers", "Twilio US").await;
    let overflow: Value = b
        .eval("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        .await;
    assert_eq!(overflow, json!(0), "the page scrolls sideways at 390 px");
    b.screenshot("phone-providers").await;
    b.click_button("[role=tablist]", "Stats").await;
    b.wait_text("#view-stats .cards", "Total Sent").await;
    let overflow: Value = b
        .eval("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        .await;
    assert_eq!(overflow, json!(0), "the stats scroll sideways at 390 px");
    b.screenshot("phone-stats").await;

    b.close().await;
    daemon.stop();
}
