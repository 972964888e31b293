// Submits the authorization response form as soon as the page loads (response_mode=form_post).
document.getElementById('authorization-response').submit();
