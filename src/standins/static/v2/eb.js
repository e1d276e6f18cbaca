/* KomSkol 5.0, socialtjänstmodulen: the ekonomiskt bistånd decision form and the payment
   order compute a check value before they are sent, and ask for confirmation. Same values
   as 4.2, over the renamed fields (belopp_kr, beslutstext, mottagarkonto). */
(function () {
  "use strict";

  function fnv1a(text) {
    var bytes = new TextEncoder().encode(text);
    var h = 0x811c9dc5;
    for (var i = 0; i < bytes.length; i++) {
      h ^= bytes[i];
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    return ("00000000" + h.toString(16)).slice(-8);
  }

  function guard(formId, question, fields, salt) {
    var form = document.getElementById(formId);
    if (!form) { return; }
    form.addEventListener("submit", function (event) {
      if (!window.confirm(question)) {
        event.preventDefault();
        return;
      }
      var parts = [form.elements.formtoken.value];
      fields.forEach(function (name) {
        parts.push(form.elements[name].value.replace(/\r\n/g, "\n"));
      });
      parts.push(salt);
      form.elements.kontroll.value = fnv1a(parts.join("|"));
    });
  }

  guard("ebbeslut", "Registrera beslutet?", ["utfall", "belopp_kr", "manad", "beslutstext"],
        "ks4-eb-beslut");
  guard("utbetalningsform", "Beställa utbetalningen?", ["belopp", "manad", "mottagarkonto"],
        "ks4-utbetalning");
})();
