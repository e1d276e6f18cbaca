/* KomSkol 5.0: the decision form computes a check value before it is sent, and asks for
   confirmation. The server recomputes the value and refuses a form without it.
   Same value as 4.2 (formtoken|utfall|text|salt); the text field is now "beslutstext". */
(function () {
  "use strict";
  var SALT = "ks4-beslut";

  function fnv1a(text) {
    var bytes = new TextEncoder().encode(text);
    var h = 0x811c9dc5;
    for (var i = 0; i < bytes.length; i++) {
      h ^= bytes[i];
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    return ("00000000" + h.toString(16)).slice(-8);
  }

  var form = document.getElementById("beslutsform");
  if (!form) { return; }
  form.addEventListener("submit", function (event) {
    if (!window.confirm("Registrera beslutet?")) {
      event.preventDefault();
      return;
    }
    var text = form.elements.beslutstext.value.replace(/\r\n/g, "\n");
    form.elements.kontroll.value = fnv1a([
      form.elements.formtoken.value, form.elements.utfall.value, text, SALT
    ].join("|"));
  });
})();
