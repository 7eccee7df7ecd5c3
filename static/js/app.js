// Small enhancements only: every page works without this file.
"use strict";

// Close the account menu when clicking elsewhere or pressing Escape.
document.addEventListener("click", (event) => {
  document.querySelectorAll("details.user-menu[open]").forEach((menu) => {
    if (!menu.contains(event.target)) menu.removeAttribute("open");
  });
});
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  document.querySelectorAll("details.user-menu[open]").forEach((menu) => {
    menu.removeAttribute("open");
    menu.querySelector("summary")?.focus();
  });
});

// New organization: show the address the name gives while the address field is empty.
document.querySelectorAll("form[data-slug-form]").forEach((form) => {
  const name = form.querySelector("#name");
  const slug = form.querySelector("#slug");
  const preview = form.querySelector("[data-slug-preview]");
  if (!name || !slug || !preview) return;
  const suggest = (text) =>
    text
      .normalize("NFD")
      .replace(/[\u0300-\u036f]/g, "")
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+/, "")
      .slice(0, 40)
      .replace(/-+$/, "");
  const update = () => {
    preview.textContent = slug.value.trim() || suggest(name.value) || "your-address";
  };
  name.addEventListener("input", update);
  slug.addEventListener("input", update);
});
