// placeholder: the app shell is written by the front-end work
