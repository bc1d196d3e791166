# man/: pages for what has no component folder of its own (the setup
# script at the top); a component's pages are listed by its module.mk.
MANPAGES += man/sdc-docker-setup.1
