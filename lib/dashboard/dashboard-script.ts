/**
 * The dashboard's only script, served as a file (the Content-Security-Policy allows no inline
 * script): shows each <time> in the viewer's time zone, with the UTC value kept on hover.
 */
export const dashboardScript = `(function () {
  var format = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  document.querySelectorAll('time[datetime]').forEach(function (element) {
    var date = new Date(element.getAttribute('datetime'));
    if (isNaN(date.getTime())) return;
    element.textContent = format.format(date);
    element.title = 'UTC: ' + element.getAttribute('datetime');
  });
})();
`;
