"""Credentials, crypto-currency addresses and network identifiers where people paste them (issue 38),
written by hand before the recognisers were built and never tuned on (`TUNING`, at the end, is what
they were developed against).

Every value is a fake: public test vectors where they exist (AWS's documented example key, the jwt.io
token, Bitcoin's genesis and BIP 173/350 addresses, EIP-55's checksum vectors, the documentation IP
ranges of RFC 5737/3849 and MAC addresses from examples), random strings of each format's shape
otherwise. `place` says where the value sits; `group` is the format reported by.
"""

from __future__ import annotations

from tests.detection_sets import Sample

AWS_ID, AWS_SECRET = "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
GITHUB = "ghp_38AibNyyurlGFb0EkjKWREhbiGjlvhkTp3SK"
GITHUB_APP = "ghs_EqkNk6sEr6f4gUy0BQ8DEoFogNCAI3Ao3pxT"
GITHUB_PAT = "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"
GITLAB = "glpat-OnA66cKIFTmxrrjtjVmd"
SLACK_BOT = "xoxb-584254526115-4272171857692-rAmSJ2km14IKCzi2Eg3h0p54"
SLACK_USER = "xoxp-650887050199-874813089072-2059921850735-9cd5840f1aec544ad77bf39768915e2e"
SLACK_HOOK = "https://hooks.slack.com/services/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"
DISCORD = "MBtGaprBPhLERW0CbvaQqrpxCC.gO_V-R.rwlIM5dcJjWpwIqulpwIKak99ne"
TELEGRAM = "947204247:AAD6oqM79_O36jKkv_0GhTnrU-D4J1-pmHd"
STRIPE = "sk_live_tIzA9XrTPtx9HE0mVICYRV7g"
STRIPE_RESTRICTED = "rk_live_0XdzQZafTMcFTn4wokZ8BWep"
STRIPE_LONG = ("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"
               "ITvrhq")
SQUARE = "sq0csp-uK0Q_Ye6UamnabfIoGCo16wEn4XR2ayVcLCrR9QCrfL"
SQUARE_TOKEN = "sq0atp-mncsIGv44Lgs-grN8GoVxR"
BRAINTREE = "access_token$production$3br3t714bxg49dhb$52ba131525fa27a6abde3911a95891fc"
OPENAI = "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"
OPENAI_PROJECT = ("sk-proj-cpDiYmfb9atdsaANN_bWyc0N38GKP_FaFVf06Es8e9FhstPAjzlPKMFCakyxi_jUloQcfx0OljT3BlbkFJgNdj"
                  "CYpc1vYMJqVIvLQKt4CST4LBZWm6i6X89qyhxrrhbuaYuV8GEpAj08dNPu0DmtFQuOyDwY")
ANTHROPIC = ("sk-ant-api03-fFTRVBQaeIKJ8NFRXlCQH5T-8_gXdnSUtG4PpuLQrtsxaoI2eGjGHP4lkY6FYQYVdfnSjj3u_ymHGjyJQYVGxcW"
             "Hfo93uAA")
HUGGINGFACE = "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"
SENDGRID = "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"
TWILIO_KEY, TWILIO_TOKEN = "SK5c7d5df063396f23e06356741a5bfd6d", "eceda213f8f53539f4911a52d1c6e746"
MAILCHIMP = "ac360d6eeeec4ab0a2d6a5397f597b93-us9"
NPM = "npm_3MmVyShFabvnMVwaiBC7bfPPYt9mpZlFD5tB"
PYPI = ("pypi-AgEIcHlwaS5vcmcH5wOH-Ta0utBbiVSI0DZLlu-tE-P6osypQSH27dz6UY_3EQs021cyLVcHZbNsD3QYUbUJ4TcfCWNkgkOVhJBg8"
        "a3X_KlVlWx4acLp5hQNK0wt8rr2x7UFU5x")
GOOGLE = "AIza2hEV_Xq9B6FwTYXavV9huMQD52BHxnAAITb"
GOOGLE_OAUTH = "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"
AZURE_KEY = "e4eLnBp6XIC2s0YpZGOoGBUSEUEOq3wfRdgrE4mtqJa08P0tNFx/xanOcrwwICtlFphD6c2m+q5Qo0+DH7fI4g=="
AZURE_SB_KEY = "kxPUqc3sCv1dfZJKgirZEJMjmgbrnwmhCuUZKlvsk0g="
JWT_IO = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDI"
          "yfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yQsswc5c")
JWT_RS = ("eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImsxIn0.eyJzdWIiOiJhN2YzYzJlMSIsImF1ZCI6ImFwaS5leGFtcGxlLmNvbSIs"
          "ImV4cCI6MTc2NzIyNTYwMCwic2NvcGUiOiJyZWFkIHdyaXRlIn0.C-m2cIOEqRBOOU1gQmoH_6KD-GUN8H34Qi46xxanAEt6tNmhFvmCNf0kANb"
          "Dq0NtxgWW1f0TPFathP7mnQO__F")
RSA_KEY = """-----BEGIN RSA PRIVATE KEY-----
MIIEowIBAAKCAQEAaRtrZzQBeWH+JDgzW9d0mT39xS2Af/I67jGZPwBOHCL4U4fC
3gEqFq9uS0DxxqG6hLcQYrJV44fd2S6vzjFTs1qZ44njgv8WInc58NQyuZ+rH0F9
ylcQM2KN8Gsfx+O4Q7r7nCzaoZazJXk3d8DoykVt6eaNFc/JjiO9Xzrrg9JBTFtj
-----END RSA PRIVATE KEY-----"""
OPENSSH_KEY = """-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAOifS8000t+vHtBO38/gqKUO0XL/E97XKkTUUcUJIbZhexcLs2o
2e+0vceC3lH6Txr2rRgPVlCanZ1g8tDOh8CTJbGxy6PfcFHO3SKzQqRnnnwRGvL8TV0TYZ
-----END OPENSSH PRIVATE KEY-----"""
EC_KEY = """-----BEGIN EC PRIVATE KEY-----
MHcCAQEEIFeIWCD2MZNaWnn88Mhy67EkiOR5aUIV7HURSg6ebYQhT+ERvf56Kt3l
rOa3GdiDma++aMdX5Um/yjyDJiwnqJtxBPTwQlCGaDWD1h9eILMYZhdkHkgPxySg
-----END EC PRIVATE KEY-----"""
HEX_TOKEN = "7ecfe5127ec1a099205574ad60ca8308f3a2d5b7"
RANDOM_TOKEN = "ith3aDWscr6V6vZudqCPFhZ9QQYrA3kK"

# (kind, place, group, value, text with § where the value goes)
_WRITTEN = [
    # --- cloud keys --------------------------------------------------------------------------------
    ("secret", "env", "aws_key_id", AWS_ID, "AWS_REGION=eu-west-1\nAWS_ACCESS_KEY_ID=§\nAWS_DEFAULT_OUTPUT=json\n"),
    ("secret", "shell", "aws_key_id", AWS_ID, "$ export AWS_ACCESS_KEY_ID=§\n$ aws s3 ls s3://reports-2024/"),
    ("secret", "chat", "aws_key_id", AWS_ID, "hey, the CI keeps failing with key § — is that one revoked?"),
    ("secret", "env", "aws_secret", AWS_SECRET, "AWS_ACCESS_KEY_ID=AKIAEXAMPLEIDXX\nAWS_SECRET_ACCESS_KEY=§\n"),
    ("secret", "code", "aws_secret", AWS_SECRET,
     's3 = boto3.client(\n    "s3",\n    aws_secret_access_key="§",\n    region_name="us-east-1",\n)'),
    ("secret", "yaml", "aws_secret", AWS_SECRET, "aws:\n  region: eu-central-1\n  secret_access_key: §\n"),
    ("secret", "json", "gcp_api_key", GOOGLE, '{"maps": {"apiKey": "§", "zoom": 12}}'),
    ("secret", "code", "gcp_api_key", GOOGLE, "const url = `https://maps.googleapis.com/maps/api/geocode/json?key=§`;"),
    ("secret", "chat", "gcp_api_key", GOOGLE, "Can you tell me why the Places API answers 403 with my key §?"),
    ("secret", "json", "gcp_oauth", GOOGLE_OAUTH,
     '{"web":{"client_id":"123456-abc.apps.googleusercontent.com","client_secret":"§","redirect_uris":[]}}'),
    ("secret", "env", "azure_storage", AZURE_KEY,
     "AZURE_STORAGE_CONNECTION_STRING=DefaultEndpointsProtocol=https;AccountName=contosodata;AccountKey=§;"
     "EndpointSuffix=core.windows.net"),
    ("secret", "code", "azure_storage", AZURE_KEY,
     'conn = "DefaultEndpointsProtocol=https;AccountName=stgprod01;AccountKey=§;EndpointSuffix=core.windows.net"\n'
     "client = BlobServiceClient.from_connection_string(conn)"),
    ("secret", "json", "azure_servicebus", AZURE_SB_KEY,
     '{"ServiceBus": "Endpoint=sb://orders-bus.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;'
     'SharedAccessKey=§"}'),
    # --- version control ---------------------------------------------------------------------------
    ("secret", "shell", "github", GITHUB, "git clone https://§@github.com/acme/infra.git"),
    ("secret", "yaml", "github", GITHUB, "env:\n  GH_TOKEN: §\n  NODE_VERSION: 20\n"),
    ("secret", "chat", "github", GITHUB, "I pasted § into the workflow by mistake, what now?"),
    ("secret", "log", "github", GITHUB_APP,
     "2024-05-02T10:14:55Z DEBUG http.client send: b'Authorization: token §\\r\\n'"),
    ("secret", "markdown", "github", GITHUB_PAT, "Set the token:\n\n```bash\ngh auth login --with-token <<< §\n```\n"),
    ("secret", "env", "gitlab", GITLAB, "CI_SERVER=https://gitlab.example.com\nGITLAB_TOKEN=§\n"),
    ("secret", "email", "gitlab", GITLAB,
     "Hi Marta,\n\nfor the mirror job please use the access token § (read_repository only).\n\nCheers,\nTom"),
    # --- chat platforms ----------------------------------------------------------------------------
    ("secret", "code", "slack_token", SLACK_BOT,
     'client = WebClient(token="§")\nclient.chat_postMessage(channel="#ops")'),
    ("secret", "log", "slack_token", SLACK_USER,
     "[2024-03-11 09:02:17,331] WARNING slack_sdk: token=§ rate limited, retrying in 30s"),
    ("secret", "yaml", "slack_webhook", SLACK_HOOK,
     "alertmanager:\n  receivers:\n    - name: ops\n      slack_api_url: §\n"),
    ("secret", "chat", "slack_webhook", SLACK_HOOK, "post the build status to § when it's green please"),
    ("secret", "env", "discord", DISCORD, "DISCORD_BOT_TOKEN=§\nDISCORD_GUILD=my-server\n"),
    ("secret", "code", "discord", DISCORD, "bot = commands.Bot(command_prefix='!')\nbot.run('§')"),
    ("secret", "shell", "telegram", TELEGRAM, 'curl -s "https://api.telegram.org/bot§/getUpdates"'),
    ("secret", "chat", "telegram", TELEGRAM, "BotFather gave me this: § — how do I set a webhook with it?"),
    # --- payments ----------------------------------------------------------------------------------
    ("secret", "env", "stripe", STRIPE, "STRIPE_PUBLISHABLE_KEY=pk_live_51Hx\nSTRIPE_SECRET_KEY=§\n"),
    ("secret", "code", "stripe", STRIPE_LONG, 'import stripe\nstripe.api_key = "§"\nstripe.Charge.list(limit=3)'),
    ("secret", "email", "stripe", STRIPE_RESTRICTED,
     "Subject: reporting key\n\nThe restricted key for the finance dashboard is §. Please store it in the vault."),
    ("secret", "json", "square", SQUARE, '{"square": {"application_id": "sq0idp-7Hq", "oauth_secret": "§"}}'),
    ("secret", "shell", "square", SQUARE_TOKEN,
     "curl https://connect.squareup.com/v2/locations -H 'Authorization: Bearer §'"),
    ("secret", "code", "braintree", BRAINTREE, 'gateway = braintree.BraintreeGateway(access_token="§")'),
    # --- AI providers ------------------------------------------------------------------------------
    ("secret", "code", "openai", OPENAI, 'from openai import OpenAI\nclient = OpenAI(api_key="§")'),
    ("secret", "env", "openai", OPENAI_PROJECT, "OPENAI_API_KEY=§\nOPENAI_ORG=org-research\n"),
    ("secret", "chat", "openai", OPENAI_PROJECT, "why does § give me 429 insufficient_quota?"),
    ("secret", "markdown", "openai", OPENAI,
     "## Setup\n\n```python\nimport os\nos.environ['OPENAI_API_KEY'] = '§'\n```\n"),
    ("secret", "shell", "anthropic", ANTHROPIC,
     'curl https://api.anthropic.com/v1/messages -H "x-api-key: §" -H "anthropic-version: 2023-06-01"'),
    ("secret", "yaml", "anthropic", ANTHROPIC,
     "providers:\n  anthropic:\n    api_key: §\n    model: claude-3-5-sonnet\n"),
    ("secret", "shell", "huggingface", HUGGINGFACE, "huggingface-cli login --token §"),
    ("secret", "chat", "huggingface", HUGGINGFACE, "my HF token is § but the gated model still says 401"),
    # --- mail, SMS, marketing ----------------------------------------------------------------------
    ("secret", "env", "sendgrid", SENDGRID, "MAIL_BACKEND=sendgrid\nSENDGRID_API_KEY=§\n"),
    ("secret", "log", "sendgrid", SENDGRID,
     "Mar 03 12:00:01 web-2 app[831]: mailer init apikey=§ from=noreply@example.org"),
    ("secret", "code", "twilio", TWILIO_KEY,
     'client = Client("§", "' + TWILIO_TOKEN + '", "AC00000000000000000000000000000000")'),
    ("secret", "env", "twilio", TWILIO_TOKEN, "TWILIO_ACCOUNT_SID=AC_test\nTWILIO_AUTH_TOKEN=§\n"),
    ("secret", "json", "mailchimp", MAILCHIMP, '{"mailchimp": {"list_id": "a1b2c3", "api_key": "§"}}'),
    ("secret", "chat", "mailchimp", MAILCHIMP, "Mailchimp key § stopped working after the account migration"),
    # --- package registries ------------------------------------------------------------------------
    ("secret", "code", "npm", NPM, "//registry.npmjs.org/:_authToken=§\nalways-auth=true"),
    ("secret", "shell", "npm", NPM, "$ NPM_TOKEN=§ npm publish --access public"),
    ("secret", "code", "pypi", PYPI, "[pypi]\nusername = __token__\npassword = §\n"),
    ("secret", "shell", "pypi", PYPI, "twine upload -u __token__ -p § dist/*"),
    # --- private keys and tokens -------------------------------------------------------------------
    ("secret", "chat", "private_key", "-----BEGIN RSA PRIVATE KEY-----",
     "Why does ssh say 'invalid format' for this key?\n" + RSA_KEY),
    ("secret", "markdown", "private_key", "-----BEGIN OPENSSH PRIVATE KEY-----",
     "Deploy key for the runner:\n\n```\n" + OPENSSH_KEY + "\n```"),
    ("secret", "yaml", "private_key", "-----BEGIN EC PRIVATE KEY-----",
     "tls:\n  key: |\n    " + EC_KEY.replace("\n", "\n    ") + "\n"),
    ("secret", "log", "jwt", JWT_IO,
     '10.1.2.3 - - [12/Mar/2024:10:00:00 +0000] "GET /api/me HTTP/1.1" 401 - "Bearer §"'),
    ("secret", "chat", "jwt", JWT_RS, "Can you decode this token and tell me when it expires? §"),
    ("secret", "shell", "jwt", JWT_RS, "curl -H 'Authorization: Bearer §' https://api.example.com/v1/orders"),
    ("secret", "json", "jwt", JWT_IO, '{"access_token": "§", "token_type": "Bearer", "expires_in": 3600}'),
    # --- passwords ---------------------------------------------------------------------------------
    ("secret", "env", "url_password", "Vq7#rT2pLm",
     "DATABASE_URL=postgres://app_user:§@db.internal.example.com:5432/orders\n"),
    ("secret", "yaml", "url_password", "hK8sP2xWq9",
     "spring:\n  rabbitmq:\n    addresses: amqp://orders:§@mq.example.net:5672/prod\n"),
    ("secret", "log", "url_password", "s3cr3tPa55",
     "2024-04-01 08:00:12 ERROR could not connect to redis://default:§@cache-01:6379/0 (timeout)"),
    ("secret", "code", "odbc_password", "Winter2024!x",
     'cs = "Driver={ODBC Driver 18 for SQL Server};Server=tcp:sql01,1433;Database=hr;Uid=hr_app;Pwd=§;"'),
    ("secret", "json", "odbc_password", "P@ssw0rd-77q",
     '{"ConnectionStrings": {"Main": "Server=sql.example.com;Database=Shop;User Id=shop;Password=§;"}}'),
    ("secret", "code", "jdbc_password", "r3dW1ne!2023",
     'url = "jdbc:mysql://db.example.com:3306/sales?user=sales_ro&password=§&useSSL=true"'),
    ("secret", "env", "assignment", "Tr0ub4dor&3x", "DB_HOST=localhost\nDB_USER=admin\nDB_PASSWORD=§\n"),
    ("secret", "code", "assignment", "N0t-s0-S3cret!", 'DATABASES["default"]["PASSWORD"] = "§"'),
    ("secret", "yaml", "assignment", "q9Z!m2Lw8Rt", "datasource:\n  username: svc_app\n  password: '§'\n"),
    ("secret", "json", "assignment", "xY7$kP2!nQ", '{"user": "deploy", "passwd": "§", "host": "10.0.0.5"}'),
    ("secret", "code", "assignment", "Kf93!vBz#1q", "[database]\nhost = db01\nuser = report\npassword = §\n"),
    ("secret", "shell", "assignment", "Hx4$Lr9@wE", "mysql -h db01 -u root --password='§' sales < dump.sql"),
    ("secret", "log", "assignment", "Zq8#Mn3Kp", "2024-02-02 14:33:10 DEBUG login attempt user=jdoe password=§ ok"),
    ("secret", "code", "client_secret", RANDOM_TOKEN,
     'oauth.register("acme", client_id="web-portal", client_secret="§", server_metadata_url=URL)'),
    ("secret", "yaml", "private_key_field", HEX_TOKEN, "signing:\n  private_key: §\n  algorithm: HS256\n"),
    ("secret", "chat", "natural_en", "Bl4ckCat#88", "my password is § — can you check if that's strong enough?"),
    ("secret", "chat", "natural_es", "Gato_Negro_2019", "Hola, mi contraseña es § y no puedo entrar al portal."),
    ("secret", "email", "natural_de", "Sommer!2024Berg",
     "Hallo Jens,\n\nmein Passwort ist § – bitte nach dem Login sofort ändern.\n\nGruß"),
    ("secret", "email", "natural_fr", "Soleil-42-Plage",
     "Bonjour,\nmon mot de passe est § pour le compte de démo.\nCordialement"),
    ("secret", "chat", "natural_it", "Pizza4Stagioni!", "la mia password è § ma il sito dice che è sbagliata"),
    ("secret", "chat", "natural_en", "mK9!vQ2x", "The wifi password for the guest network is §, enjoy!"),
    ("secret", "log", "entropy_token", RANDOM_TOKEN,
     "Apr 12 10:22:41 api-1 gunicorn[2211]: refreshed access token " + "§" + " for tenant 42"),
    ("secret", "chat", "entropy_token", HEX_TOKEN, "Here's the API key for the staging weather service: §"),
    ("secret", "markdown", "entropy_token", RANDOM_TOKEN,
     "| setting | value |\n|---|---|\n| api_key | § |\n| region | eu |"),
    # --- passphrases (words with spaces), written before their rule ------------------------------------
    ("secret", "chat", "passphrase_en", "correct horse battery staple",
     "my password is correct horse battery staple, can you tell me if it's strong enough?"),
    ("secret", "chat", "passphrase_es", "tres tristes tigres comen", "contraseña: tres tristes tigres comen"),
    ("secret", "email", "passphrase_en", "purple monkey dishwasher lamp",
     "Guest Wi-Fi\nNetwork: Harbour-Guest\nPassword: purple monkey dishwasher lamp\nEnjoy your stay!"),
    ("secret", "chat", "passphrase_de", "blaue Katze tanzt leise", "Das WLAN-Passwort lautet blaue Katze tanzt leise."),
    ("secret", "email", "passphrase_fr", "soleil vert lune bleue",
     "Bonjour,\nmon mot de passe est soleil vert lune bleue pour le portail.\nMerci"),
    ("secret", "chat", "passphrase_it", "gatto nero sul tetto", "la password del wifi è gatto nero sul tetto"),
    ("secret", "code", "passphrase_code", "hollow tiger seven lanterns",
     'PASSPHRASE = "hollow tiger seven lanterns"\nunlock(PASSPHRASE)'),
    ("secret", "yaml", "passphrase_code", "river stone quiet harbour",
     "ssh:\n  key_passphrase: river stone quiet harbour\n  user: deploy\n"),
    ("secret", "chat", "passphrase_pt", "batata frita com sal", "a minha senha é batata frita com sal"),
    ("secret", "chat", "passphrase_en", "orange tractor moonlight 77",
     "the passphrase for the backup disk is orange tractor moonlight 77"),
    # --- crypto-currency addresses -----------------------------------------------------------------
    ("crypto_address", "chat", "btc_p2pkh", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",
     "Send the 0.05 BTC to § and let me know when it's done."),
    ("crypto_address", "email", "btc_p2sh", "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",
     "Dear supplier,\nplease refund to our multisig wallet §.\nRegards"),
    ("crypto_address", "json", "btc_bech32", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
     '{"payout": {"currency": "BTC", "address": "§"}}'),
    ("crypto_address", "chat", "btc_bech32", "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4",
     "my segwit address in caps from the paper wallet: §"),
    ("crypto_address", "log", "btc_bech32m", "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
     "2024-06-01 12:00:00 INFO withdrawal queued dest=§ amount=0.01"),
    ("crypto_address", "chat", "eth_eip55", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
     "Pay me at § on mainnet."),
    ("crypto_address", "code", "eth_eip55", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
     'const recipient = "§";\nawait token.transfer(recipient, amount);'),
    ("crypto_address", "email", "eth_eip55", "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
     "Hi, the invoice can be settled in USDC to §. Thanks, Ana"),
    ("crypto_address", "chat", "eth_lower", "0x52908400098527886e0f7030069857d2e4169ee7",
     "my ETH wallet: §"),
    ("crypto_address", "json", "eth_upper", "0x52908400098527886E0F7030069857D2E4169EE7",
     '{"network": "ethereum", "wallet_address": "§"}'),
    ("crypto_address", "chat", "eth_lower_bare", "0x8ba1f109551bd432803012645ac136ddd64dba72",
     "send it to 0x8ba1f109551bd432803012645ac136ddd64dba72 pls, the gas is low right now"),
    ("crypto_address", "code", "eth_lower_bare", "0xab5801a7d398351b8be11c439e05c5b3259aec9b",
     'const owner = "§";\nconsole.log(await provider.getBalance(owner));'),
    ("crypto_address", "log", "eth_lower_bare", "0xde0b295669a9fd93d5f28d9ec85e40f4cb697bae",
     "2024-07-01T08:12:44Z INFO transfer from=§ value=1.5 nonce=12"),
    ("crypto_address", "email", "eth_upper_bare", "0x00000000219AB540356CBB839CBE05303D7705FA",
     "Hi team,\nthe funds went to 0x00000000219AB540356CBB839CBE05303D7705FA yesterday.\nBest, Kim"),
    ("crypto_address", "csv", "eth_lower_bare", "0x742d35cc6634c0532925a3b844bc454e4438f44e",
     "id,to,amount\n7,§,250\n"),
    # --- network identifiers -----------------------------------------------------------------------
    ("ip_address", "log", "ipv4", "203.0.113.195",
     '203.0.113.195 - - [10/Oct/2024:13:55:36 +0000] "GET /login HTTP/1.1" 200 2326'.replace("203.0.113.195", "§")),
    ("ip_address", "chat", "ipv4", "198.51.100.23", "My home IP is §, can you whitelist it on the firewall?"),
    ("ip_address", "yaml", "ipv4", "192.0.2.44", "servers:\n  - name: db\n    host: §\n    port: 5432\n"),
    ("ip_address", "email", "ipv4", "192.168.10.25", "The printer on the 2nd floor is at §; please reinstall it."),
    ("ip_address", "log", "ipv6", "2001:db8:85a3::8a2e:370:7334",
     "Jun 10 09:12:01 gw sshd[1201]: Accepted publickey for ops from § port 52144 ssh2"),
    ("ip_address", "chat", "ipv6", "2001:0db8:0000:0042:0000:8a2e:0370:7334", "Why can't I ping §?"),
    ("ip_address", "code", "ipv6", "2001:db8::1f", 'ALLOWED_HOSTS = ["§", "localhost"]'),
    ("mac_address", "log", "mac", "00:1A:2B:3C:4D:5E", "kernel: eth0: link up, HWaddr §, 1000Mbps full duplex"),
    ("mac_address", "chat", "mac", "3c-22-fb-7a-91-0e", "my laptop's MAC is §, please add it to the Wi-Fi allow list"),
    ("mac_address", "yaml", "mac", "52:54:00:12:34:56", "interfaces:\n  ens3:\n    macaddress: §\n"),
    ("mac_address", "shell", "mac", "0050.56c0.0008", "switch# show mac address-table | include §"),
]

SAMPLES = [Sample(kind, place, group, value, text.replace("§", value))
           for kind, place, group, value, text in _WRITTEN]

# What the recognisers were developed against (SAMPLES above were not looked at while tuning).
TUNING = [Sample(kind, place, group, value, text.replace("§", value)) for kind, place, group, value, text in [
    ("secret", "env", "aws_key_id", "AKIAI44QH8DHBEXAMPLE", "AWS_ACCESS_KEY_ID=§"),
    ("secret", "code", "aws_secret", "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY", "aws_secret_access_key = '§'"),
    ("secret", "code", "github", "gho_QOo6Cd6rvau5kHvRwMzzuVtYkwMJFrCfZ4U2", "token = '§'"),
    ("secret", "chat", "slack_token", "xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy", "use §"),
    ("secret", "env", "discord", "NpoDo3JD61rztPeHmI1g6pD9.ytTBUR.aHyx49wQOmCb5k5pbS2Sd6CRSH2", "TOKEN=§"),
    ("secret", "code", "google", "AIzaO4Pqg8xW7PQvyFqSeghsGthq1IYP9JWVA6G", "key: '§'"),
    ("secret", "chat", "openai", "sk-proj-AbCdEf0123456789ghIJklMNopQRstUVwxYZ0123456789abcdEF", "key §"),
    ("secret", "env", "huggingface", "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", "HF_TOKEN=§"),
    ("secret", "code", "private_key", "-----BEGIN PRIVATE KEY-----",
     "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n"
     "-----END PRIVATE KEY-----"),
    ("secret", "chat", "jwt", "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzUxMiJ9.eyJ1aWQiOiJ1LTEwMjkiLCJyb2xlIjoiYWRtaW4iLCJpYXQiOj"
     "E3MzU2ODk2MDB9.eeiFgMzh4hp5Hae2msaPXZi8aU7jaFY-wyZAnrT5gBVo21gRRcuQDdKtq-5MysXkChz08Fxk_J9BGXchGGhB9b", "jwt: §"),
    ("secret", "env", "url_password", "hunter2x", "REDIS_URL=redis://:§@localhost:6379"),
    ("secret", "code", "assignment", "S3cretPass!", "password = '§'"),
    ("secret", "chat", "natural_en", "Abc12345", "my password is §"),
    ("secret", "chat", "natural_es", "perro2020", "mi contraseña es §"),
    ("secret", "yaml", "assignment", "zP4!qR8s", "password: §"),
    ("secret", "shell", "assignment", "aB3$dE6f", "export DB_PASSWORD='§'"),
    ("secret", "chat", "entropy_token", "c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6", "the token is §"),
    ("crypto_address", "chat", "eth_eip55", "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb", "to §"),
    ("crypto_address", "chat", "eth_lower", "0xde709f2102306220921060314715629080e2fb77", "eth address §"),
    ("crypto_address", "chat", "btc_p2pkh", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", "btc §"),
    ("secret", "chat", "passphrase_en", "apple river candle seven", "password: apple river candle seven"),
    ("secret", "chat", "passphrase_es", "gato negro come pescado", "mi contraseña es gato negro come pescado."),
    ("crypto_address", "chat", "eth_lower_bare", "0x1db3439a222c519ab44bb1144fc28167b4fa6ee6", "to §"),
    ("ip_address", "log", "ipv4", "198.51.100.7", "client § connected"),
    ("ip_address", "log", "ipv6", "2001:db8:1::ab9:C0A8:102", "from §"),
    ("mac_address", "log", "mac", "08:00:27:4e:66:a1", "ether §"),
]]
