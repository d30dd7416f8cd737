# Django's British English writes dates "14 Mar 2025"; GeneTx has always spelled the month
# out ("14 March 2025"), as Spanish does ("14 de marzo de 2025", Django's own es format).
DATE_FORMAT = "j F Y"
