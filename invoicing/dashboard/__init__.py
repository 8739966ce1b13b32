"""The tax officials' web dashboard: adoption statistics as HTML pages, signed in with a cookie."""
