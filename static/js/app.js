// Small enhancements only: every page works without this file.
"use strict";

// Close the account menu when clicking elsewhere or pressing Escape.
document.addEventListener("click", (event) => {
  document.querySelectorAll("details.dropdown[open]").forEach((menu) => {
    if (!menu.contains(event.target)) menu.removeAttribute("open");
  });
});
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  document.querySelectorAll("details.dropdown[open]").forEach((menu) => {
    menu.removeAttribute("open");
    menu.querySelector("summary")?.focus();
  });
});

// New organization: show the address the name gives while the address field is
// empty. The server derives it (GET /orgs/slug-preview, the rule the form uses),
// so the preview never promises an address the form would not give. Without
// scripts the hint explains the rule instead.
document.querySelectorAll("form[data-slug-form]").forEach((form) => {
  const name = form.querySelector("#name");
  const slug = form.querySelector("#slug");
  const preview = form.querySelector("[data-slug-preview]");
  const url = form.dataset.slugPreviewUrl;
  if (!name || !slug || !preview || !url) return;
  let asked = 0;
  let timer;
  const show = (text) => {
    preview.textContent = text || "your-address";
  };
  const update = () => {
    clearTimeout(timer);
    const ticket = ++asked; // a later keystroke wins over an earlier answer
    const typed = slug.value.trim();
    if (typed || !name.value.trim()) {
      show(typed);
      return;
    }
    timer = setTimeout(async () => {
      try {
        const query = new URLSearchParams({ name: name.value });
        const response = await fetch(`${url}?${query}`, { headers: { Accept: "application/json" } });
        if (!response.ok) return;
        const answer = await response.json();
        if (ticket === asked) show(answer.slug);
      } catch {
        // Offline or signed out: keep the last preview.
      }
    }, 150);
  };
  name.addEventListener("input", update);
  slug.addEventListener("input", update);
});

// The one-time token dialog: modal when scripts run, Copy through the clipboard API.
(() => {
  const dialog = document.getElementById("new-key-dialog");
  if (dialog && typeof dialog.showModal === "function") {
    dialog.close();
    dialog.showModal();
  }
  const field = document.querySelector("[data-copy-source]");
  if (field) {
    field.addEventListener("focus", () => field.select());
    field.focus();
    field.select();
  }
  document.querySelectorAll("[data-copy-button]").forEach((button) => {
    const source = document.getElementById(button.dataset.copyButton);
    const status = document.querySelector("[data-copy-status]");
    if (!source) return;
    button.hidden = false;
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(source.value);
        button.textContent = "Copied";
        if (status) status.textContent = "Copied to the clipboard.";
      } catch {
        // No clipboard access: leave the text selected for Ctrl+C.
        source.focus();
        source.select();
        if (status) status.textContent = "Press Ctrl+C (or ⌘C) to copy the selected key.";
      }
    });
  });
})();

// Delete: a confirmation dialog naming the key instead of the confirmation page.
(() => {
  const dialog = document.getElementById("delete-key-dialog");
  if (!dialog || typeof dialog.showModal !== "function") return;
  const form = dialog.querySelector("[data-delete-form]");
  document.querySelectorAll("a[data-delete-key]").forEach((link) => {
    link.addEventListener("click", (event) => {
      event.preventDefault();
      form.action = link.getAttribute("href");
      dialog.querySelector("[data-delete-description]").textContent = link.dataset.description;
      dialog.querySelector("[data-delete-hint]").textContent = link.dataset.hint;
      dialog.showModal();
    });
  });
  dialog.querySelector("[data-dialog-cancel]")?.addEventListener("click", () => dialog.close());
})();

// Valid until: say in words what the chosen date means.
document.querySelectorAll("[data-valid-until]").forEach((input) => {
  const meaning = document.querySelector("[data-valid-until-meaning]");
  if (!meaning) return;
  const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const update = () => {
    if (!input.value) {
      meaning.textContent = "This key will never expire.";
      return;
    }
    const [y, m, d] = input.value.split("-").map(Number);
    const lastDay = new Date(Date.UTC(y, m - 1, d) - 86400000);
    if (Number.isNaN(lastDay.getTime()) || input.value <= input.dataset.today) {
      meaning.textContent = "";
      return;
    }
    meaning.textContent = `This key will be usable until the end of ${lastDay.getUTCDate()} ${months[lastDay.getUTCMonth()]} ${lastDay.getUTCFullYear()} UTC.`;
  };
  input.addEventListener("input", update);
  input.addEventListener("change", update);
  // A half-typed or impossible date reads as empty, which would mean "never
  // expires": refuse to send the form instead.
  input.form?.addEventListener("submit", (event) => {
    if (input.validity.badInput) {
      event.preventDefault();
      input.setCustomValidity("Enter a whole date, or clear the field for a key that never expires.");
      input.reportValidity();
      input.setCustomValidity("");
    }
  });
});
