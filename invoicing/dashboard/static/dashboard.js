// Sorts the statistics table in place when a column header is clicked. Without this script the
// header links ask the server for the sorted page, so the table sorts either way.
(function () {
  "use strict";
  var table = document.querySelector("table[data-sortable]");
  if (!table) {
    return;
  }
  var body = table.tBodies[0];
  var collator = new Intl.Collator("vi", { sensitivity: "base", numeric: true });

  table.tHead.addEventListener("click", function (event) {
    var link = event.target.closest("th a");
    if (!link) {
      return;
    }
    event.preventDefault();
    var header = link.parentElement;
    var headers = Array.prototype.slice.call(header.parentElement.children);
    var index = headers.indexOf(header);
    var numeric = header.classList.contains("num");
    var current = header.getAttribute("aria-sort");
    // As on the server: a first click ranks the largest first (names from A), a second turns it round.
    var descending = current ? current === "ascending" : numeric;
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = a.cells[index].getAttribute("data-value");
      var y = b.cells[index].getAttribute("data-value");
      var order = numeric ? Number(x) - Number(y) : collator.compare(x, y);
      return descending ? -order : order;
    });
    rows.forEach(function (row) {
      body.appendChild(row);
    });
    headers.forEach(function (cell) {
      cell.removeAttribute("aria-sort");
    });
    header.setAttribute("aria-sort", descending ? "descending" : "ascending");
    // The address then names the order shown, so a reload or a shared link shows the same.
    var address = new URL(link.href);
    address.searchParams.set("order", descending ? "desc" : "asc");
    history.replaceState(null, "", address.toString());
  });
})();
